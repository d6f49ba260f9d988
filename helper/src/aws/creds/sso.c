/* IAM Identity Center (SSO) profiles, as botocore's SSOProvider reads them:
 *
 *   [profile dev]                      [profile old]   (legacy form)
 *   sso_session = corp                 sso_start_url = https://x.awsapps.com/start
 *   sso_account_id = 111122223333      sso_region = us-east-1
 *   sso_role_name = Deploy             sso_account_id = 111122223333
 *                                      sso_role_name = Deploy
 *   [sso-session corp]
 *   sso_start_url = https://x.awsapps.com/start
 *   sso_region = us-east-1
 *
 * The token `aws sso login` cached (sso_token.c) buys role credentials with
 * the portal's GetRoleCredentials: GET /federation/credentials?account_id=
 * &role_name= on portal.sso.<sso_region>.amazonaws.com, header
 * x-amz-sso_bearer_token, unsigned (botocore's sso/2019-06-10 model; IAM
 * Identity Center Portal API Reference, GetRoleCredentials). With an
 * sso-session, a token that is about to expire is refreshed first, as the
 * SDKs do; the legacy form is never refreshed. A missing or expired login
 * ends with the AWS CLI's advice: run aws sso login --profile NAME. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/client.h"
#include "aws/creds/providers.h"
#include "aws/creds/sso_token.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

struct sso_provider {
    struct cred_provider base;
    const struct aws_shared_config *cfg; /* borrowed */
    struct http_client *http;            /* borrowed */
    char *profile;
    char *name;
};

/* A profile's SSO settings, with its sso-session's merged in. */
struct sso_config {
    const char *session; /* NULL: the legacy form */
    const char *start_url;
    const char *region;
    const char *account_id;
    const char *role_name;
};

static const char *profile_get(const struct sso_provider *sp, const char *key)
{
    const char *v = aws_shared_config_get(sp->cfg, sp->profile, key);
    return v && *v ? v : NULL;
}

/* One setting: the profile's and the sso-session's must agree (botocore
 * refuses a profile whose value differs from its session's). */
static int merged(const struct sso_provider *sp, const struct aws_profile *session, const char *key,
                  const char **out, struct err *err)
{
    const char *mine = profile_get(sp, key);
    const char *theirs = aws_profile_get(session, key);
    if (theirs && !*theirs)
        theirs = NULL;
    if (mine && theirs && strcmp(mine, theirs) != 0)
        return err_set(err, ERR_CONFIG,
                       "profile '%s': %s is %s in the profile but %s in [sso-session %s]; keep "
                       "one, or make them agree",
                       sp->profile, key, mine, theirs, session->name);
    *out = theirs ? theirs : mine;
    return 0;
}

static int load_config(const struct sso_provider *sp, struct sso_config *c, int *absent,
                       struct err *err)
{
    memset(c, 0, sizeof(*c));
    const struct aws_shared_config *cfg = sp->cfg;
    if (!aws_shared_config_has_profile(cfg, sp->profile))
        return cred_absent(absent, err, "profile '%s': not in %s or %s", sp->profile,
                           cfg->config.path, cfg->credentials.path);
    /* As botocore: a profile is an SSO profile when it names a role or an
     * account to get from the portal. */
    if (!profile_get(sp, "sso_account_id") && !profile_get(sp, "sso_role_name"))
        return cred_absent(absent, err, "profile '%s': no sso_account_id or sso_role_name",
                           sp->profile);
    const struct aws_profile *session = NULL;
    c->session = profile_get(sp, "sso_session");
    if (c->session) {
        session = aws_profile_file_find_sso_session(&cfg->config, c->session);
        if (!session)
            return err_set(err, ERR_CONFIG,
                           "profile '%s': sso_session = %s, but %s has no [sso-session %s] "
                           "section; add it (aws configure sso-session writes one)",
                           sp->profile, c->session, cfg->config.path, c->session);
    }
    if (merged(sp, session, "sso_start_url", &c->start_url, err) != 0 ||
        merged(sp, session, "sso_region", &c->region, err) != 0 ||
        merged(sp, session, "sso_account_id", &c->account_id, err) != 0 ||
        merged(sp, session, "sso_role_name", &c->role_name, err) != 0)
        return -1;
    struct buf missing = BUF_INIT;
    const char *names[] = {"sso_role_name", "sso_account_id", "sso_start_url", "sso_region"};
    const char *values[] = {c->role_name, c->account_id, c->start_url, c->region};
    for (size_t i = 0; i < 4; i++)
        if (!values[i])
            buf_printf(&missing, "%s%s", missing.len ? ", " : "", names[i]);
    if (missing.len) {
        err_set(err, ERR_CONFIG,
                "profile '%s' is configured to use SSO but is missing required configuration: "
                "%s%s",
                sp->profile, buf_cstr(&missing),
                c->session ? " (in the profile or its sso-session)" : "");
        buf_free(&missing);
        return -1;
    }
    buf_free(&missing);
    if (!aws_region_is_valid(c->region))
        return err_set(err, ERR_CONFIG,
                       "profile '%s': sso_region = '%s' is not a valid AWS region name; a region "
                       "looks like us-east-1",
                       sp->profile, c->region);
    return 0;
}

static int env_true(const char *name)
{
    const char *v = getenv(name);
    return v && strcasecmp(v, "true") == 0;
}

/* Where to send the calls of one service ("sso" or "sso_oidc" in the config
 * file's services sections), in the order the SDKs use for configured
 * endpoints (AWS SDKs and Tools Reference Guide, "Service-specific
 * endpoints"): AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
 * services section, the profile's endpoint_url; none of them when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
 * ignore_configured_endpoint_urls) is true. Else https://<host_prefix>.
 * <region>.<partition's DNS suffix>. A new string. */
static char *endpoint(const struct sso_provider *sp, const char *env_var, const char *svc_key,
                      const char *host_prefix, const char *region)
{
    const char *ignore = profile_get(sp, "ignore_configured_endpoint_urls");
    if (!env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") &&
        !(ignore && strcasecmp(ignore, "true") == 0)) {
        const char *v = cred_getenv(env_var);
        if (!v)
            v = cred_getenv("AWS_ENDPOINT_URL");
        if (v)
            return xstrdup(v);
        const char *services = profile_get(sp, "services");
        char *sub =
            services
                ? aws_profile_get_sub(aws_profile_file_find_services(&sp->cfg->config, services),
                                      svc_key, "endpoint_url")
                : NULL;
        if (sub && *sub)
            return sub;
        free(sub);
        v = profile_get(sp, "endpoint_url");
        if (v)
            return xstrdup(v);
    }
    struct buf b = BUF_INIT;
    buf_printf(&b, "https://%s.%s.%s", host_prefix, region, aws_dns_suffix_of(region));
    return buf_steal(&b);
}

/* The AWS CLI's words for a login that is missing, expired or refused. */
static int login_needed(const struct sso_provider *sp, struct err *err, const char *why)
{
    return err_set(err, ERR_CREDENTIALS,
                   "profile '%s': the SSO session associated with this profile has expired or "
                   "is otherwise invalid (%s). To refresh this SSO session run aws sso login "
                   "--profile %s",
                   sp->profile, why, sp->profile);
}

/* The access token to call the portal with. */
static int access_token(const struct sso_provider *sp, const struct sso_config *c,
                        struct sso_token *tok, struct err *err)
{
    char *path = sso_token_cache_path(c->session ? c->session : c->start_url);
    int missing = 0;
    int rc = sso_token_load(path, tok, &missing, err);
    if (rc != 0 && missing) {
        char why[1024];
        snprintf(why, sizeof(why), "no cached token for %s %s: %s is missing",
                 c->session ? "sso-session" : "sso_start_url",
                 c->session ? c->session : c->start_url, path);
        rc = login_needed(sp, err, why);
    }
    free(path);
    if (rc != 0)
        return -1;
    time_t now = time(NULL);
    if (c->session && tok->expires_at - now < SSO_TOKEN_REFRESH_WINDOW_S) {
        char *oidc = endpoint(sp, "AWS_ENDPOINT_URL_SSO_OIDC", "sso_oidc", "oidc", c->region);
        struct err rerr;
        if (sso_token_refresh(sp->http, oidc, c->start_url, c->region, now, tok, &rerr) == 0) {
            log_info("profile '%s': refreshed the SSO token of sso-session %s", sp->profile,
                     c->session);
        } else if (tok->expires_at > now) {
            log_warn("profile '%s': %s; using the cached token until it expires", sp->profile,
                     rerr.message);
        } else {
            char why[1024];
            snprintf(why, sizeof(why), "the cached token has expired and refresh failed: %.900s",
                     rerr.message);
            sso_token_free(tok);
            free(oidc);
            return login_needed(sp, err, why);
        }
        free(oidc);
    }
    if (tok->expires_at <= now) {
        char when[32], why[256];
        cred_format_time(tok->expires_at, when);
        snprintf(why, sizeof(why), "the cached token expired at %s", when);
        sso_token_free(tok);
        return login_needed(sp, err, why);
    }
    return 0;
}

/* {"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken",
 * "expiration": milliseconds since 1970}} */
static int read_role_credentials(const char *who, const struct http_response *resp,
                                 struct aws_credentials *out, struct err *err)
{
    cJSON *doc = cred_json_parse(buf_cstr(&resp->body), resp->body.len, who, "answered", err);
    if (!doc)
        return -1;
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(doc, "roleCredentials");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rc, "accessKeyId");
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(rc, "secretAccessKey");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(rc, "sessionToken");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(rc, "expiration");
    if (cJSON_IsString(secret))
        log_add_secret(secret->valuestring);
    if (cJSON_IsString(token))
        log_add_secret(token->valuestring);
    int result = 0;
    if (!cJSON_IsString(id) || !*id->valuestring || !cJSON_IsString(secret) ||
        !*secret->valuestring || !cJSON_IsString(token) || !*token->valuestring)
        result = err_set(err, ERR_CREDENTIALS,
                         "%s answered without roleCredentials accessKeyId, secretAccessKey and "
                         "sessionToken",
                         who);
    else if (!cJSON_IsNumber(exp) || exp->valuedouble < 1000.0 ||
             exp->valuedouble > 253402300799000.0 /* 9999-12-31 */)
        result = err_set(err, ERR_CREDENTIALS,
                         "%s answered without an expiration time (milliseconds since 1970)", who);
    if (result == 0) {
        out->access_key_id = xstrdup(id->valuestring);
        out->secret_access_key = xstrdup(secret->valuestring);
        out->session_token = xstrdup(token->valuestring);
        out->expiration = (time_t)(exp->valuedouble / 1000.0);
    }
    cred_json_free(doc);
    return result;
}

static char *escape(const char *s)
{
    /* libcurl's RFC 3986 escaping (it needs no handle since 7.82). */
    char *e = curl_easy_escape(NULL, s, 0);
    if (!e)
        abort();
    char *copy = xstrdup(e);
    curl_free(e);
    return copy;
}

static int get_role_credentials(const struct sso_provider *sp, const struct sso_config *c,
                                const char *token, struct aws_credentials *out, struct err *err)
{
    char *base = endpoint(sp, "AWS_ENDPOINT_URL_SSO", "sso", "portal.sso", c->region);
    char *account = escape(c->account_id), *role = escape(c->role_name);
    struct buf pq = BUF_INIT, who = BUF_INIT;
    buf_printf(&pq, "/federation/credentials?account_id=%s&role_name=%s", account, role);
    char *url = sso_url(base, buf_cstr(&pq));
    buf_printf(&who, "profile '%s': SSO GetRoleCredentials at %s (account %s, role %s)",
               sp->profile, base, c->account_id, c->role_name);
    struct http_headers headers = HTTP_HEADERS_INIT;
    http_headers_add(&headers, "Accept", "application/json");
    http_headers_add(&headers, "x-amz-sso_bearer_token", token);
    struct http_request req = {
        .method = "GET", .url = url, .headers = &headers, .timeout_ms = SSO_HTTP_TIMEOUT_MS};
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    int rc = sso_http(sp->http, &req, &resp, err);
    if (rc != 0) {
        err_prefix(err, "%s: ", buf_cstr(&who));
    } else if (resp.status == 401) {
        char why[512];
        sso_error_text(&resp, why, sizeof(why));
        rc = login_needed(sp, err, why);
    } else if (resp.status != 200) {
        char why[512];
        sso_error_text(&resp, why, sizeof(why));
        rc = err_set(err, ERR_CREDENTIALS, "%s answered %s%s", buf_cstr(&who), why,
                     resp.status == 403 || resp.status == 404
                         ? "; check sso_account_id and sso_role_name: the role must be "
                           "assigned to you in that account"
                         : "");
        err->http_status = resp.status;
    } else {
        rc = read_role_credentials(buf_cstr(&who), &resp, out, err);
    }
    if (resp.body.data)
        secure_zero(resp.body.data, resp.body.len);
    http_response_free(&resp);
    cred_headers_free(&headers);
    free(url);
    free(base);
    free(account);
    free(role);
    buf_free(&pq);
    buf_free(&who);
    return rc;
}

static int sso_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                   struct err *err)
{
    struct sso_provider *sp = (struct sso_provider *)self;
    struct sso_config c;
    if (load_config(sp, &c, absent, err) != 0)
        return -1;
    if (!sp->http)
        return err_set(err, ERR_INTERNAL, "profile '%s': SSO needs an HTTP client", sp->profile);
    struct sso_token tok;
    if (access_token(sp, &c, &tok, err) != 0)
        return -1;
    int rc = get_role_credentials(sp, &c, tok.access_token, out, err);
    sso_token_free(&tok);
    if (rc == 0) {
        struct buf src = BUF_INIT;
        buf_printf(&src, "profile '%s' (SSO, account %s, role %s)", sp->profile, c.account_id,
                   c.role_name);
        out->source = buf_steal(&src);
    }
    return rc;
}

static void sso_destroy(struct cred_provider *self)
{
    struct sso_provider *sp = (struct sso_provider *)self;
    free(sp->profile);
    free(sp->name);
    free(sp);
}

struct cred_provider *cred_sso_new(const struct aws_shared_config *cfg, const char *profile,
                                   struct http_client *http)
{
    struct sso_provider *sp = xcalloc(1, sizeof(*sp));
    sp->cfg = cfg;
    sp->http = http;
    sp->profile = xstrdup(profile);
    struct buf name = BUF_INIT;
    buf_printf(&name, "profile '%s' SSO", profile);
    sp->name = buf_steal(&name);
    sp->base.name = sp->name;
    sp->base.get = sso_get;
    sp->base.destroy = sso_destroy;
    return &sp->base;
}
