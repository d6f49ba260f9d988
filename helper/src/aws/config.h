/* The shared config and credentials files (~/.aws/config, ~/.aws/credentials,
 * AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) and region resolution. */
#ifndef ECSR_AWS_CONFIG_H
#define ECSR_AWS_CONFIG_H

#include "util/err.h"

/* The profile in effect: the flag, else AWS_PROFILE, else "default". */
const char *aws_profile_name(const char *flag_profile);

/* The region: --aws-region, AWS_REGION, AWS_DEFAULT_REGION, then the
 * profile's `region` in the config file. Returns 0 with *out a new string,
 * or -1 with a message that lists where it looked (ERR_USAGE when no region
 * is set anywhere, ERR_CONFIG for an unreadable or malformed file). */
int aws_resolve_region(const char *flag_region, const char *flag_profile, char **out,
                       struct err *err);

#endif
