/* What `plan`, `status` and `external` print. */
#ifndef ECSR_CLI_VIEWS_H
#define ECSR_CLI_VIEWS_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "rollout/inspect.h"

void view_print_plan(FILE *f, const struct rollout_plan *p);
void view_print_status(FILE *f, const struct rollout_plan *p);
cJSON *view_plan_json(const struct rollout_plan *p);
/* Terraform's external data source wants a flat object of strings. */
cJSON *view_external_json(const struct rollout_plan *p, const char *region);

#endif
