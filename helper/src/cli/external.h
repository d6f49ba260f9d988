/* The `external` command's query (Terraform's external data source). */
#ifndef ECSR_CLI_EXTERNAL_H
#define ECSR_CLI_EXTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

struct external_query {
    char *asg_name;
    char *cluster_name;
    char *region;
    char *profile;
    char *endpoint_url;
    char *ami;
};

/* Parses and validates the query: an object whose values are all strings,
 * with known keys only. */
int external_parse_query(const char *text, size_t len, struct external_query *q, struct err *err);
int external_read_query(FILE *in, struct external_query *q, struct err *err);
void external_query_free(struct external_query *q);

#endif
