/* Static keys in a profile: aws_access_key_id, aws_secret_access_key and
 * aws_session_token, from the credentials file, else from the config file.
 * The three are taken from the same file, never mixed. */
#include <stdlib.h>

#include "aws/creds/providers.h"
#include "util/buf.h"
#include "util/mem.h"

struct profile_keys {
    struct cred_provider base;
    const struct aws_shared_config *cfg; /* borrowed */
    char *profile;
    char *name;
};

/* 1: found keys in `file`; 0: none there; -1: a broken pair. */
static int keys_from(const struct aws_profile_file *file, const char *profile,
                     struct aws_credentials *out, struct err *err)
{
    const struct aws_profile *p = aws_profile_file_find(file, profile);
    const char *id = aws_profile_get(p, "aws_access_key_id");
    const char *secret = aws_profile_get(p, "aws_secret_access_key");
    const char *token = aws_profile_get(p, "aws_session_token");
    if ((!id || !*id) && (!secret || !*secret))
        return 0;
    if (!id || !*id || !secret || !*secret)
        return err_set(err, ERR_CREDENTIALS,
                       "profile '%s' in %s has %s but no %s; add it, or remove the other key",
                       profile, file->path,
                       id && *id ? "aws_access_key_id" : "aws_secret_access_key",
                       id && *id ? "aws_secret_access_key" : "aws_access_key_id");
    out->access_key_id = xstrdup(id);
    out->secret_access_key = xstrdup(secret);
    out->session_token = token && *token ? xstrdup(token) : NULL;
    struct buf src = BUF_INIT;
    buf_printf(&src, "profile '%s' (%s)", profile, file->path);
    out->source = buf_steal(&src);
    return 1;
}

static int keys_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                    struct err *err)
{
    struct profile_keys *pk = (struct profile_keys *)self;
    const struct aws_shared_config *cfg = pk->cfg;
    if (!aws_shared_config_has_profile(cfg, pk->profile))
        return cred_absent(absent, err, "profile '%s': not in %s or %s", pk->profile,
                           cfg->config.path, cfg->credentials.path);
    int rc = keys_from(&cfg->credentials, pk->profile, out, err);
    if (rc == 0)
        rc = keys_from(&cfg->config, pk->profile, out, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return cred_absent(absent, err, "profile '%s': no aws_access_key_id", pk->profile);
    return 0;
}

static void keys_destroy(struct cred_provider *self)
{
    struct profile_keys *pk = (struct profile_keys *)self;
    free(pk->profile);
    free(pk->name);
    free(pk);
}

struct cred_provider *cred_profile_keys_new(const struct aws_shared_config *cfg,
                                            const char *profile)
{
    struct profile_keys *pk = xcalloc(1, sizeof(*pk));
    pk->cfg = cfg;
    pk->profile = xstrdup(profile);
    struct buf name = BUF_INIT;
    buf_printf(&name, "profile '%s' keys", profile);
    pk->name = buf_steal(&name);
    pk->base.name = pk->name;
    pk->base.get = keys_get;
    pk->base.destroy = keys_destroy;
    return &pk->base;
}
