/* A profile with role_arn: STS AssumeRole, signed with the credentials of
 * its source_profile (which may itself assume a role, and so on) or of its
 * credential_source (Environment, Ec2InstanceMetadata, EcsContainer).
 *
 *   [profile deploy]                  [profile base]
 *   role_arn = arn:aws:iam::1:role/x  aws_access_key_id = ...
 *   source_profile = base             aws_secret_access_key = ...
 *   external_id = ...  duration_seconds = 3600  role_session_name = ...
 *
 * The chain of providers is built on first use from the profiles and kept:
 * the files do not change while the program runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aws/creds/providers.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strv.h"

#define MIN_DURATION_S 900
#define MAX_DURATION_S 43200

/* One AssumeRole step: credentials of `source` -> the role's. */
struct assume_step {
    struct cred_provider base;
    const struct cred_sts_ops *sts;
    struct cred_provider *source; /* owned, cached */
    char *profile;
    char *role_arn;
    char *session_name;
    char *external_id;
    int duration_s;
    char *name; /* "profile 'x' (role_arn ...)" */
};

static int step_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                    struct err *err)
{
    (void)absent;
    struct assume_step *st = (struct assume_step *)self;
    /* Fetch the source's credentials first so that a failure there is
     * reported as the source's, not as an STS error. The cache keeps the
     * call STS makes for signing from running the source again. */
    struct aws_credentials src;
    if (cred_provider_get(st->source, &src, err) != 0)
        return err_prefix(err,
                          "%s: cannot get the credentials to assume the role with: ", st->name);
    aws_credentials_free(&src);
    struct sts_role_request req = {
        .role_arn = st->role_arn,
        .role_session_name = st->session_name,
        .external_id = st->external_id,
        .duration_seconds = st->duration_s,
    };
    if (st->sts->assume_role(st->sts->ctx, st->source, &req, out, err) != 0) {
        aws_credentials_free(out);
        cred_wrap_sts_error(err, st->name, "AssumeRole");
        return -1;
    }
    free(out->source);
    out->source = xstrdup(st->name);
    return 0;
}

static void step_destroy(struct cred_provider *self)
{
    struct assume_step *st = (struct assume_step *)self;
    cred_provider_free(st->source);
    free(st->profile);
    free(st->role_arn);
    free(st->session_name);
    free(st->external_id);
    free(st->name);
    free(st);
}

struct role_provider {
    struct cred_provider base;
    const struct aws_shared_config *cfg;
    struct http_client *http;
    const struct cred_sts_ops *sts;
    char *profile;
    char *name;
    struct cred_provider *built; /* the top step, once built */
};

struct builder {
    const struct role_provider *rp;
    struct strv visited; /* profiles in the current source_profile chain */
};

static const char *get(const struct builder *b, const char *profile, const char *key)
{
    const char *v = aws_shared_config_get(b->rp->cfg, profile, key);
    return v && *v ? v : NULL;
}

static int has_static_keys(const struct builder *b, const char *profile)
{
    return get(b, profile, "aws_access_key_id") || get(b, profile, "aws_secret_access_key");
}

static struct cred_provider *build_role(struct builder *b, const char *profile, struct err *err);

static void loop_message(const struct builder *b, const char *again, struct err *err)
{
    struct buf path = BUF_INIT;
    for (size_t i = 0; i < b->visited.n; i++)
        buf_printf(&path, "%s -> ", b->visited.v[i]);
    buf_puts(&path, again);
    err_set(err, ERR_CONFIG,
            "profile '%s': source_profile loop %s; one profile in the chain must have "
            "aws_access_key_id/aws_secret_access_key, credential_process or credential_source "
            "instead of another role",
            b->visited.v[0], buf_cstr(&path));
    buf_free(&path);
}

/* The provider for `src`, the source_profile of `of`. */
static struct cred_provider *build_source_profile(struct builder *b, const char *of,
                                                  const char *src, struct err *err)
{
    const struct aws_shared_config *cfg = b->rp->cfg;
    if (!aws_shared_config_has_profile(cfg, src)) {
        err_set(err, ERR_CONFIG,
                "profile '%s': source_profile = %s, but profile %s is not in %s or %s; add it "
                "or fix the name",
                of, src, src, cfg->config.path, cfg->credentials.path);
        return NULL;
    }
    /* A profile may name itself as source_profile when it also holds keys. */
    int self_with_keys = strcmp(src, of) == 0 && has_static_keys(b, src);
    if (get(b, src, "role_arn") && !self_with_keys) {
        if (strv_contains(&b->visited, src)) {
            loop_message(b, src, err);
            return NULL;
        }
        return build_role(b, src, err);
    }
    /* An SSO profile as the source, as botocore allows: its profile
     * providers serve a source_profile, SSO before static keys. */
    if (get(b, src, "sso_account_id") || get(b, src, "sso_role_name")) {
        if (!b->rp->http) {
            err_set(err, ERR_INTERNAL, "profile '%s': an SSO source_profile needs an HTTP client",
                    of);
            return NULL;
        }
        return cred_sso_new(cfg, src, b->rp->http);
    }
    if (has_static_keys(b, src))
        return cred_profile_keys_new(cfg, src);
    if (get(b, src, "credential_process"))
        return cred_profile_process_new(cfg, src);
    err_set(err, ERR_CONFIG,
            "profile '%s': its source_profile '%s' has no credentials; give '%s' "
            "aws_access_key_id and aws_secret_access_key, SSO settings (sso_session, "
            "sso_account_id, sso_role_name), credential_process, or role_arn with its own "
            "source",
            of, src, src);
    return NULL;
}

static struct cred_provider *build_credential_source(struct builder *b, const char *profile,
                                                     const char *source, struct err *err)
{
    if (strcmp(source, "Environment") == 0)
        return cred_env_new();
    if (strcmp(source, "Ec2InstanceMetadata") == 0 || strcmp(source, "EcsContainer") == 0) {
        if (!b->rp->http) {
            err_set(err, ERR_INTERNAL, "profile '%s': credential_source = %s needs an HTTP client",
                    profile, source);
            return NULL;
        }
        if (strcmp(source, "Ec2InstanceMetadata") == 0)
            return cred_imds_new(b->rp->http, b->rp->cfg, profile);
        return cred_ecs_new(b->rp->http);
    }
    err_set(err, ERR_CONFIG,
            "profile '%s': credential_source = %s is not one of Environment, "
            "Ec2InstanceMetadata or EcsContainer",
            profile, source);
    return NULL;
}

static int parse_duration(const char *profile, const char *text, int *out, struct err *err)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0')
        return err_set(err, ERR_CONFIG,
                       "profile '%s': duration_seconds = %s is not a whole number of seconds",
                       profile, text);
    if (v < MIN_DURATION_S || v > MAX_DURATION_S)
        return err_set(err, ERR_CONFIG,
                       "profile '%s': duration_seconds = %s is out of range; STS accepts %d to "
                       "%d (12 hours), and at most the role's maximum session duration",
                       profile, text, MIN_DURATION_S, MAX_DURATION_S);
    *out = (int)v;
    return 0;
}

/* The provider for the role of `profile` (which has role_arn). */
static struct cred_provider *build_role(struct builder *b, const char *profile, struct err *err)
{
    strv_push(&b->visited, profile);
    const char *role_arn = get(b, profile, "role_arn");
    const char *src = get(b, profile, "source_profile");
    const char *cs = get(b, profile, "credential_source");
    const char *duration = get(b, profile, "duration_seconds");
    int duration_s = 0;

    if (src && cs) {
        err_set(err, ERR_CONFIG,
                "profile '%s' has both source_profile and credential_source; keep only one",
                profile);
        return NULL;
    }
    if (!src && !cs) {
        if (get(b, profile, "web_identity_token_file"))
            return cred_web_identity_new(b->rp->cfg, profile, b->rp->sts, 0);
        err_set(err, ERR_CONFIG,
                "profile '%s' has role_arn but no source_profile or credential_source; add "
                "source_profile = <profile with keys> or credential_source = Environment, "
                "Ec2InstanceMetadata or EcsContainer",
                profile);
        return NULL;
    }
    if (get(b, profile, "mfa_serial")) {
        err_set(err, ERR_CONFIG,
                "profile '%s' has mfa_serial: ecs-rollout runs unattended and cannot ask for an "
                "MFA code; use credentials that need no MFA (for example a credential_process "
                "that caches an MFA session)",
                profile);
        return NULL;
    }
    if (duration && parse_duration(profile, duration, &duration_s, err) != 0)
        return NULL;
    if (!b->rp->sts || !b->rp->sts->assume_role) {
        err_set(err, ERR_INTERNAL, "profile '%s': no STS client to call AssumeRole", profile);
        return NULL;
    }
    struct cred_provider *source = src ? build_source_profile(b, profile, src, err)
                                       : build_credential_source(b, profile, cs, err);
    if (!source)
        return NULL;

    struct assume_step *st = xcalloc(1, sizeof(*st));
    st->sts = b->rp->sts;
    st->source = cred_cache_new(source, NULL);
    st->profile = xstrdup(profile);
    st->role_arn = xstrdup(role_arn);
    st->session_name = xstrdup(get(b, profile, "role_session_name"));
    st->external_id = xstrdup(get(b, profile, "external_id"));
    st->duration_s = duration_s;
    struct buf name = BUF_INIT;
    buf_printf(&name, "profile '%s' (role_arn %s)", profile, role_arn);
    st->name = buf_steal(&name);
    st->base.name = st->name;
    st->base.get = step_get;
    st->base.destroy = step_destroy;
    return &st->base;
}

static int role_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                    struct err *err)
{
    struct role_provider *rp = (struct role_provider *)self;
    const struct aws_shared_config *cfg = rp->cfg;
    if (!rp->built) {
        if (!aws_shared_config_has_profile(cfg, rp->profile))
            return cred_absent(absent, err, "profile '%s': not in %s or %s", rp->profile,
                               cfg->config.path, cfg->credentials.path);
        struct builder b = {.rp = rp, .visited = STRV_INIT};
        if (!get(&b, rp->profile, "role_arn"))
            return cred_absent(absent, err, "profile '%s': no role_arn", rp->profile);
        if (!get(&b, rp->profile, "source_profile") && !get(&b, rp->profile, "credential_source") &&
            get(&b, rp->profile, "web_identity_token_file"))
            return cred_absent(absent, err, "profile '%s': role_arn is for web identity",
                               rp->profile);
        rp->built = build_role(&b, rp->profile, err);
        strv_free(&b.visited);
        if (!rp->built)
            return -1;
    }
    int inner_absent = 0;
    return cred_provider_try(rp->built, out, &inner_absent, err);
}

static void role_destroy(struct cred_provider *self)
{
    struct role_provider *rp = (struct role_provider *)self;
    cred_provider_free(rp->built);
    free(rp->profile);
    free(rp->name);
    free(rp);
}

struct cred_provider *cred_role_new(const struct aws_shared_config *cfg, const char *profile,
                                    struct http_client *http, const struct cred_sts_ops *sts)
{
    struct role_provider *rp = xcalloc(1, sizeof(*rp));
    rp->cfg = cfg;
    rp->http = http;
    rp->sts = sts;
    rp->profile = xstrdup(profile);
    struct buf name = BUF_INIT;
    buf_printf(&name, "profile '%s' role", profile);
    rp->name = buf_steal(&name);
    rp->base.name = rp->name;
    rp->base.get = role_get;
    rp->base.destroy = role_destroy;
    return &rp->base;
}
