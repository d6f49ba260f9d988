/* The shared config and credentials files (~/.aws/config, ~/.aws/credentials,
 * AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) and region resolution. */
#ifndef ECSR_AWS_CONFIG_H
#define ECSR_AWS_CONFIG_H

#include "aws/profile_file.h"
#include "util/err.h"

/* The profile in effect: the flag, else AWS_PROFILE, else
 * AWS_DEFAULT_PROFILE (as boto3 reads it), else "default". */
const char *aws_profile_name(const char *flag_profile);
/* Where it came from: "--profile", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", or
 * NULL for the implicit "default". */
const char *aws_profile_origin(const char *flag_profile);
/* Warn when AWS_PROFILE and AWS_DEFAULT_PROFILE name different profiles
 * and no flag decides (boto3 gives AWS_DEFAULT_PROFILE precedence). */
void aws_profile_warn_ambiguous(const char *flag_profile);

/* The region: --aws-region, AWS_REGION, AWS_DEFAULT_REGION, then the
 * profile's `region` in the config file. Returns 0 with *out a new string,
 * or -1 with a message that lists where it looked (ERR_USAGE when no region
 * is set anywhere, ERR_CONFIG for an unreadable or malformed file). */
int aws_resolve_region(const char *flag_region, const char *flag_profile, char **out,
                       struct err *err);

/* Whether a profile was named (the flag, AWS_PROFILE or AWS_DEFAULT_PROFILE), as opposed to the
 * implicit "default": a named profile must exist. */
int aws_profile_is_named(const char *flag_profile);

/* Whether `region` has a region's shape (lower-case letters, digits and
 * hyphens, e.g. us-east-1, cn-north-1, us-gov-west-1). */
int aws_region_is_valid(const char *region);

/* Both shared files, read once. */
struct aws_shared_config {
    struct aws_profile_file config;      /* AWS_CONFIG_FILE, else ~/.aws/config */
    struct aws_profile_file credentials; /* AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials */
};

/* Read both files. Missing files are fine; unreadable or malformed ones are
 * ERR_CONFIG errors naming the file. */
int aws_shared_config_load(struct aws_shared_config *c, struct err *err);
void aws_shared_config_free(struct aws_shared_config *c);

int aws_shared_config_has_profile(const struct aws_shared_config *c, const char *profile);
/* ERR_CONFIG "profile X not found in FILE1 or FILE2" when it is in neither. */
int aws_shared_config_require_profile(const struct aws_shared_config *c, const char *profile,
                                      struct err *err);
/* A profile's value for `key`; as in the SDKs, the credentials file's value
 * wins over the config file's for the same profile. NULL when absent. */
const char *aws_shared_config_get(const struct aws_shared_config *c, const char *profile,
                                  const char *key);
/* Only from the credentials file / only from the config file. */
const char *aws_shared_config_get_credentials_file(const struct aws_shared_config *c,
                                                   const char *profile, const char *key);
const char *aws_shared_config_get_config_file(const struct aws_shared_config *c,
                                              const char *profile, const char *key);

#endif
