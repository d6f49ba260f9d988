/* The read-only checks a rollout passes before its first write. */
#ifndef ECSR_ROLLOUT_PREFLIGHT_H
#define ECSR_ROLLOUT_PREFLIGHT_H

#include "rollout/engine.h"

/* Appends to `problems` every reason the rollout must not start (with what
 * to do about it) and to `warnings` what the user should know. Returns -1
 * only when AWS could not be asked. */
int rollout_preflight(const struct svc_ops *ops, const struct rollout_config *cfg,
                      const struct rollout_snapshot *s, const struct rollout_assessment *a,
                      struct strv *problems, struct strv *warnings, struct err *err);

#endif
