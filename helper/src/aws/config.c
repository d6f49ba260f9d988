/* Which profile is in effect, the two shared files, and the region. */
#include "aws/config.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

const char *aws_profile_origin(const char *flag_profile)
{
    if (flag_profile && *flag_profile)
        return "--profile";
    if (env_nonempty("AWS_PROFILE"))
        return "AWS_PROFILE";
    /* boto3 reads AWS_DEFAULT_PROFILE (botocore's configprovider); users
     * of boto3 tools have it set. */
    if (env_nonempty("AWS_DEFAULT_PROFILE"))
        return "AWS_DEFAULT_PROFILE";
    return NULL;
}

const char *aws_profile_name(const char *flag_profile)
{
    const char *origin = aws_profile_origin(flag_profile);
    if (!origin)
        return "default";
    return origin[0] == '-' ? flag_profile : getenv(origin);
}

int aws_profile_is_named(const char *flag_profile)
{
    return aws_profile_origin(flag_profile) != NULL;
}

void aws_profile_warn_ambiguous(const char *flag_profile)
{
    const char *profile = env_nonempty("AWS_PROFILE");
    const char *boto = env_nonempty("AWS_DEFAULT_PROFILE");
    if ((flag_profile && *flag_profile) || !profile || !boto || strcmp(profile, boto) == 0)
        return;
    log_warn("AWS_PROFILE=%s and AWS_DEFAULT_PROFILE=%s name different profiles; using %s "
             "(AWS_PROFILE wins here; boto3 would use AWS_DEFAULT_PROFILE). Unset one, or pass "
             "--profile",
             profile, boto, profile);
}

int aws_region_is_valid(const char *region)
{
    size_t n = region ? strlen(region) : 0;
    if (n < 3 || n > 63 || region[0] < 'a' || region[0] > 'z' || region[n - 1] == '-' ||
        !strchr(region, '-'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = region[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
        if (c == '-' && region[i + 1] == '-')
            return 0;
    }
    return 1;
}

int aws_shared_config_load(struct aws_shared_config *c, struct err *err)
{
    memset(c, 0, sizeof(*c));
    const char *config_path = env_nonempty("AWS_CONFIG_FILE");
    const char *creds_path = env_nonempty("AWS_SHARED_CREDENTIALS_FILE");
    if (aws_profile_file_load(&c->config, AWS_PROFILE_FILE_CONFIG,
                              config_path ? config_path : "~/.aws/config", err) != 0)
        return -1;
    if (aws_profile_file_load(&c->credentials, AWS_PROFILE_FILE_CREDENTIALS,
                              creds_path ? creds_path : "~/.aws/credentials", err) != 0) {
        aws_profile_file_free(&c->config);
        return -1;
    }
    return 0;
}

void aws_shared_config_free(struct aws_shared_config *c)
{
    if (!c)
        return;
    aws_profile_file_free(&c->config);
    aws_profile_file_free(&c->credentials);
}

int aws_shared_config_has_profile(const struct aws_shared_config *c, const char *profile)
{
    return aws_profile_file_find(&c->config, profile) ||
           aws_profile_file_find(&c->credentials, profile);
}

int aws_shared_config_require_profile(const struct aws_shared_config *c, const char *profile,
                                      struct err *err)
{
    if (aws_shared_config_has_profile(c, profile))
        return 0;
    return err_set(err, ERR_CONFIG,
                   "profile %s not found in %s or %s; check the name given by --profile, "
                   "AWS_PROFILE or AWS_DEFAULT_PROFILE, or add [profile %s] to the config file",
                   profile, c->config.path, c->credentials.path, profile);
}

const char *aws_shared_config_get_credentials_file(const struct aws_shared_config *c,
                                                   const char *profile, const char *key)
{
    return aws_profile_get(aws_profile_file_find(&c->credentials, profile), key);
}

const char *aws_shared_config_get_config_file(const struct aws_shared_config *c,
                                              const char *profile, const char *key)
{
    return aws_profile_get(aws_profile_file_find(&c->config, profile), key);
}

const char *aws_shared_config_get(const struct aws_shared_config *c, const char *profile,
                                  const char *key)
{
    const char *v = aws_shared_config_get_credentials_file(c, profile, key);
    return v ? v : aws_shared_config_get_config_file(c, profile, key);
}

static int accept_region(const char *value, const char *where, enum err_kind kind, char **out,
                         struct err *err)
{
    if (!aws_region_is_valid(value))
        return err_set(err, kind,
                       "%s = '%s' is not a valid AWS region name; a region looks like us-east-1",
                       where, value);
    *out = xstrdup(value);
    return 0;
}

int aws_resolve_region(const char *flag_region, const char *flag_profile, char **out,
                       struct err *err)
{
    *out = NULL;
    if (flag_region && *flag_region)
        return accept_region(flag_region, "--aws-region", ERR_USAGE, out, err);
    const char *env = env_nonempty("AWS_REGION");
    if (env)
        return accept_region(env, "AWS_REGION", ERR_USAGE, out, err);
    env = env_nonempty("AWS_DEFAULT_REGION");
    if (env)
        return accept_region(env, "AWS_DEFAULT_REGION", ERR_USAGE, out, err);

    struct aws_shared_config cfg;
    if (aws_shared_config_load(&cfg, err) != 0)
        return -1;
    const char *profile = aws_profile_name(flag_profile);
    int rc;
    if (aws_profile_is_named(flag_profile) &&
        aws_shared_config_require_profile(&cfg, profile, err) != 0) {
        rc = -1;
    } else {
        const char *region = aws_shared_config_get(&cfg, profile, "region");
        if (region && *region) {
            struct buf where = BUF_INIT;
            buf_printf(&where, "region in profile '%s' (%s)", profile,
                       aws_shared_config_get_credentials_file(&cfg, profile, "region")
                           ? cfg.credentials.path
                           : cfg.config.path);
            rc = accept_region(region, buf_cstr(&where), ERR_CONFIG, out, err);
            buf_free(&where);
        } else {
            rc = err_set(err, ERR_USAGE,
                         "no AWS region set: looked at --aws-region, AWS_REGION, "
                         "AWS_DEFAULT_REGION and 'region' in profile '%s' of %s and %s; pass "
                         "--aws-region (e.g. --aws-region us-east-1) or set AWS_REGION",
                         profile, cfg.config.path, cfg.credentials.path);
        }
    }
    aws_shared_config_free(&cfg);
    return rc;
}
