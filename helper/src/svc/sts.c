/* STS over the Query protocol (Version 2011-06-15): GetCallerIdentity, and
 * the two role assumptions the credential providers need, bound to them
 * through struct cred_sts_ops. */
#include "svc/sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/mem.h"

#define STS_VERSION "2011-06-15"

int sts_get_caller_identity(struct aws_client *c, struct sts_identity *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct aws_params params = AWS_PARAMS_INIT;
    struct xml_node *root = NULL;
    int rc =
        aws_query_call(c, &AWS_SVC_STS, "GetCallerIdentity", STS_VERSION, &params, 0, &root, err);
    aws_params_free(&params);
    if (rc != 0)
        return -1;
    const char *account = xml_text(root, "GetCallerIdentityResult/Account");
    const char *arn = xml_text(root, "GetCallerIdentityResult/Arn");
    const char *user_id = xml_text(root, "GetCallerIdentityResult/UserId");
    if (!account || !*account || !arn || !*arn) {
        xml_free(root);
        return err_set(err, ERR_PROTOCOL,
                       "GetCallerIdentity: the answer has no Account or Arn in "
                       "GetCallerIdentityResult");
    }
    out->account = xstrdup(account);
    out->arn = xstrdup(arn);
    out->user_id = xstrdup(user_id ? user_id : "");
    xml_free(root);
    return 0;
}

void sts_identity_free(struct sts_identity *id)
{
    if (!id)
        return;
    free(id->account);
    free(id->arn);
    free(id->user_id);
    memset(id, 0, sizeof(*id));
}

/* The answer held credentials: wipe every text before freeing. */
static void wipe_texts(struct xml_node *n)
{
    for (; n; n = n->next) {
        if (n->text)
            secure_zero(n->text, strlen(n->text));
        wipe_texts(n->child);
    }
}

static void xml_free_secret(struct xml_node *root)
{
    wipe_texts(root);
    xml_free(root);
}

static void add_role_params(struct aws_params *p, const struct sts_role_request *req,
                            char *default_session, size_t cap)
{
    aws_params_add(p, "RoleArn", req->role_arn);
    const char *session = req->role_session_name;
    if (!session || !*session) {
        snprintf(default_session, cap, "ecs-rollout-%lld", (long long)time(NULL));
        session = default_session;
    }
    aws_params_add(p, "RoleSessionName", session);
    if (req->duration_seconds > 0)
        aws_params_addf(p, "DurationSeconds", "%d", req->duration_seconds);
}

int sts_parse_credentials(const struct xml_node *root, const char *action,
                          struct aws_credentials *out, struct err *err)
{
    char result_name[64];
    snprintf(result_name, sizeof(result_name), "%sResult", action);
    const struct xml_node *creds = xml_path(root, result_name);
    creds = creds ? xml_child(creds, "Credentials") : NULL;
    const char *key_id = creds ? xml_text(creds, "AccessKeyId") : NULL;
    const char *secret = creds ? xml_text(creds, "SecretAccessKey") : NULL;
    const char *token = creds ? xml_text(creds, "SessionToken") : NULL;
    const char *expiration = creds ? xml_text(creds, "Expiration") : NULL;
    log_add_secret(secret);
    log_add_secret(token);
    if (!key_id || !*key_id || !secret || !*secret || !token || !*token)
        return err_set(err, ERR_PROTOCOL,
                       "%s: the answer has no Credentials with AccessKeyId, SecretAccessKey and "
                       "SessionToken",
                       action);
    time_t exp;
    if (!expiration || cred_parse_time(expiration, &exp) != 0)
        return err_set(err, ERR_PROTOCOL, "%s: the answer's Credentials have no valid Expiration",
                       action);
    out->access_key_id = xstrdup(key_id);
    out->secret_access_key = xstrdup(secret);
    out->session_token = xstrdup(token);
    out->expiration = exp;
    return 0;
}

static int role_call(struct aws_client *c, const char *action, const struct aws_params *params,
                     int flags, struct aws_credentials *out, struct err *err)
{
    struct xml_node *root = NULL;
    if (aws_query_call(c, &AWS_SVC_STS, action, STS_VERSION, params, flags, &root, err) != 0)
        return -1;
    int rc = sts_parse_credentials(root, action, out, err);
    if (rc != 0)
        aws_credentials_free(out);
    else
        out->source = xstrdup(action);
    xml_free_secret(root);
    return rc;
}

int sts_assume_role(struct aws_client *c, struct cred_provider *source,
                    const struct sts_role_request *req, struct aws_credentials *out,
                    struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct aws_params params = AWS_PARAMS_INIT;
    char session[64];
    add_role_params(&params, req, session, sizeof(session));
    if (req->external_id && *req->external_id)
        aws_params_add(&params, "ExternalId", req->external_id);
    /* The same client, signing with the source's credentials. */
    struct aws_client signer = *c;
    signer.creds = source;
    int rc = role_call(&signer, "AssumeRole", &params, 0, out, err);
    /* Carry back what the call changed (counters, retry state), so that
     * there stays one client. */
    signer.creds = c->creds;
    *c = signer;
    aws_params_free(&params);
    return rc;
}

int sts_assume_role_with_web_identity(struct aws_client *c, const struct sts_role_request *req,
                                      struct aws_credentials *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct aws_params params = AWS_PARAMS_INIT;
    char session[64];
    add_role_params(&params, req, session, sizeof(session));
    aws_params_add(&params, "WebIdentityToken", req->web_identity_token);
    int rc = role_call(c, "AssumeRoleWithWebIdentity", &params,
                       AWS_CALL_UNSIGNED | AWS_CALL_SECRET_BODY, out, err);
    /* The token sits in the parameters: wipe them. */
    for (size_t i = 0; i < params.values.n; i++)
        secure_zero(params.values.v[i], strlen(params.values.v[i]));
    aws_params_free(&params);
    return rc;
}

static int ops_assume_role(void *ctx, struct cred_provider *source,
                           const struct sts_role_request *req, struct aws_credentials *out,
                           struct err *err)
{
    return sts_assume_role(ctx, source, req, out, err);
}

static int ops_assume_role_with_web_identity(void *ctx, const struct sts_role_request *req,
                                             struct aws_credentials *out, struct err *err)
{
    return sts_assume_role_with_web_identity(ctx, req, out, err);
}

void sts_cred_ops(struct aws_client *c, struct cred_sts_ops *out)
{
    out->assume_role = ops_assume_role;
    out->assume_role_with_web_identity = ops_assume_role_with_web_identity;
    out->ctx = c;
}
