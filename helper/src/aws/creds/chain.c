/* The default chain, in the AWS SDKs' order:
 *   1. environment variables (skipped when --profile names a profile, as in
 *      the AWS CLI: an explicit profile wins over the environment)
 *   2. the profile's role_arn with source_profile / credential_source
 *   3. web identity (environment, then the profile)
 *   4. IAM Identity Center (the profile's sso_* settings)
 *   5. the profile's static keys (credentials file, then config file)
 *   6. the profile's credential_process
 *   7. ECS container credentials
 *   8. EC2 instance metadata
 * The first source that is configured decides: its credentials or its error.
 * When none is configured, one message lists where it looked. */
#include <stdlib.h>
#include <string.h>

#include "aws/creds/providers.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strv.h"

struct chain {
    struct cred_provider base;
    struct cred_provider **providers;
    size_t n;
    long winner;                   /* index of the provider that answered; -1: none yet */
    struct aws_shared_config *cfg; /* owned; may be NULL */
};

static int nothing_found(const struct strv *reasons, struct err *err)
{
    struct buf msg = BUF_INIT;
    buf_puts(&msg, "no AWS credentials found. Looked at: ");
    for (size_t i = 0; i < reasons->n; i++)
        buf_printf(&msg, "%s%s", i ? "; " : "", reasons->v[i]);
    buf_puts(&msg, ". Configure credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                   "or give a profile (--profile, AWS_PROFILE or AWS_DEFAULT_PROFILE) keys, "
                   "role_arn, sso_session (aws configure sso), credential_process or "
                   "web_identity_token_file, or run with an IAM role on EC2 or ECS");
    err_set(err, ERR_CREDENTIALS, "%s", buf_cstr(&msg));
    buf_free(&msg);
    return -1;
}

static int chain_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                     struct err *err)
{
    struct chain *ch = (struct chain *)self;
    int inner_absent = 0;
    if (ch->winner >= 0) {
        int rc = cred_provider_try(ch->providers[ch->winner], out, &inner_absent, err);
        if (rc == 0 || !inner_absent)
            return rc;
        ch->winner = -1; /* the source went away: look again */
    }
    struct strv reasons = STRV_INIT;
    for (size_t i = 0; i < ch->n; i++) {
        struct cred_provider *p = ch->providers[i];
        if (cred_provider_try(p, out, &inner_absent, err) == 0) {
            log_debug("credentials from %s", out->source ? out->source : p->name);
            ch->winner = (long)i;
            strv_free(&reasons);
            return 0;
        }
        if (!inner_absent) {
            strv_free(&reasons);
            return -1;
        }
        log_trace("credential source %s: %s", p->name, err->message);
        if (!strv_contains(&reasons, err->message))
            strv_push(&reasons, err->message);
    }
    *absent = 1;
    nothing_found(&reasons, err);
    strv_free(&reasons);
    return -1;
}

static void chain_destroy(struct cred_provider *self)
{
    struct chain *ch = (struct chain *)self;
    for (size_t i = 0; i < ch->n; i++)
        cred_provider_free(ch->providers[i]);
    free(ch->providers);
    if (ch->cfg) {
        aws_shared_config_free(ch->cfg);
        free(ch->cfg);
    }
    free(ch);
}

struct cred_provider *cred_chain_new(struct cred_provider **providers, size_t n,
                                     struct aws_shared_config *cfg)
{
    struct chain *ch = xcalloc(1, sizeof(*ch));
    ch->providers = xcalloc(n ? n : 1, sizeof(*ch->providers));
    memcpy(ch->providers, providers, n * sizeof(*providers));
    ch->n = n;
    ch->winner = -1;
    ch->cfg = cfg;
    ch->base.name = "default credential chain";
    ch->base.get = chain_get;
    ch->base.destroy = chain_destroy;
    return &ch->base;
}

struct cred_provider *cred_default_chain_new(const struct cred_chain_options *opts, struct err *err)
{
    const char *flag_profile = opts ? opts->profile : NULL;
    struct http_client *http = opts ? opts->http : NULL;
    const struct cred_sts_ops *sts = opts ? opts->sts : NULL;
    const char *profile = aws_profile_name(flag_profile);

    struct aws_shared_config *cfg = xcalloc(1, sizeof(*cfg));
    if (aws_shared_config_load(cfg, err) != 0) {
        free(cfg);
        return NULL;
    }
    if (aws_profile_is_named(flag_profile) &&
        aws_shared_config_require_profile(cfg, profile, err) != 0) {
        aws_shared_config_free(cfg);
        free(cfg);
        return NULL;
    }
    struct cred_provider *v[9];
    size_t n = 0;
    if (!(flag_profile && *flag_profile))
        v[n++] = cred_env_new();
    v[n++] = cred_role_new(cfg, profile, http, sts);
    v[n++] = cred_web_identity_new(cfg, profile, sts, 1);
    if (http)
        v[n++] = cred_sso_new(cfg, profile, http);
    v[n++] = cred_profile_keys_new(cfg, profile);
    v[n++] = cred_profile_process_new(cfg, profile);
    if (http) {
        v[n++] = cred_ecs_new(http);
        v[n++] = cred_imds_new(http, cfg, profile);
    }
    return cred_cache_new(cred_chain_new(v, n, cfg), NULL);
}
