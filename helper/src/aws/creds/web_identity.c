/* Web identity: read an OIDC token from a file (EKS service accounts, CI
 * systems) and trade it for role credentials with the unsigned STS call
 * AssumeRoleWithWebIdentity. The file is read on every call because whatever
 * writes it replaces the token before it expires. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/creds/providers.h"
#include "util/buf.h"
#include "util/mem.h"

struct web_identity {
    struct cred_provider base;
    const struct aws_shared_config *cfg; /* borrowed; may be NULL */
    const struct cred_sts_ops *sts;      /* borrowed */
    char *profile;
    int use_env;
    char *name;
};

/* A setting from the environment variable (when allowed), else the
 * profile's key; *from says which, for messages. */
static const char *setting(const struct web_identity *wi, const char *env, const char *key,
                           const char **from)
{
    const char *v = wi->use_env ? cred_getenv(env) : NULL;
    if (v) {
        *from = env;
        return v;
    }
    v = wi->cfg ? aws_shared_config_get(wi->cfg, wi->profile, key) : NULL;
    *from = key;
    return v && *v ? v : NULL;
}

static int web_identity_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                            struct err *err)
{
    struct web_identity *wi = (struct web_identity *)self;
    const char *file_from, *role_from, *session_from;
    const char *file =
        setting(wi, "AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file", &file_from);
    const char *role = setting(wi, "AWS_ROLE_ARN", "role_arn", &role_from);
    const char *session = setting(wi, "AWS_ROLE_SESSION_NAME", "role_session_name", &session_from);
    if (!file) {
        if (wi->use_env)
            return cred_absent(absent, err,
                               "web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set, no "
                               "web_identity_token_file in profile '%s'",
                               wi->profile);
        return cred_absent(absent, err, "profile '%s': no web_identity_token_file", wi->profile);
    }

    struct buf who = BUF_INIT;
    if (strcmp(file_from, "web_identity_token_file") == 0)
        buf_printf(&who, "web identity (profile '%s', web_identity_token_file %s)", wi->profile,
                   file);
    else
        buf_printf(&who, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE=%s)", file);
    int rc = 0;
    char *token = NULL;
    if (!role) {
        rc = err_set(err, ERR_CREDENTIALS,
                     "%s: no role to assume; set %s to the ARN of the role the token may assume",
                     buf_cstr(&who),
                     strcmp(file_from, "web_identity_token_file") == 0 ? "role_arn in the profile"
                                                                       : "AWS_ROLE_ARN");
    } else if (!wi->sts || !wi->sts->assume_role_with_web_identity) {
        rc = err_set(err, ERR_INTERNAL, "%s: no STS client to call AssumeRoleWithWebIdentity",
                     buf_cstr(&who));
    } else if (cred_read_token_file(file, file_from, &token, err) != 0) {
        rc = err_prefix(err, "web identity: ");
        cred_err_append(err, "; the token file must hold the OIDC token the role trusts");
    } else {
        struct sts_role_request req = {
            .role_arn = role,
            .role_session_name = session,
            .web_identity_token = token,
        };
        rc = wi->sts->assume_role_with_web_identity(wi->sts->ctx, &req, out, err);
        if (rc != 0) {
            aws_credentials_free(out);
            cred_wrap_sts_error(err, buf_cstr(&who), "AssumeRoleWithWebIdentity");
        } else {
            free(out->source);
            buf_reset(&who);
            buf_printf(&who, "web identity (%s)", role);
            out->source = buf_steal(&who);
        }
    }
    free_secret(token);
    buf_free(&who);
    return rc;
}

static void web_identity_destroy(struct cred_provider *self)
{
    struct web_identity *wi = (struct web_identity *)self;
    free(wi->profile);
    free(wi->name);
    free(wi);
}

struct cred_provider *cred_web_identity_new(const struct aws_shared_config *cfg,
                                            const char *profile, const struct cred_sts_ops *sts,
                                            int use_env)
{
    struct web_identity *wi = xcalloc(1, sizeof(*wi));
    wi->cfg = cfg;
    wi->sts = sts;
    wi->profile = xstrdup(profile);
    wi->use_env = use_env;
    struct buf name = BUF_INIT;
    buf_printf(&name, "web identity (profile '%s')", profile);
    wi->name = buf_steal(&name);
    wi->base.name = wi->name;
    wi->base.get = web_identity_get;
    wi->base.destroy = web_identity_destroy;
    return &wi->base;
}
