/* EC2 instance metadata credentials, IMDSv2:
 *   PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds) -> token
 *   GET /latest/meta-data/iam/security-credentials/        -> role name
 *   GET /latest/meta-data/iam/security-credentials/<role>  -> credentials
 * with the token in X-aws-ec2-metadata-token. Timeouts are short and tries
 * few, so a machine that is not on EC2 moves on quickly; that case counts as
 * "not configured" for the chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/creds/providers.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#define IMDS_HOST_V4 "http://169.254.169.254"
#define IMDS_HOST_V6 "http://[fd00:ec2::254]"
#define IMDS_TIMEOUT_MS 1000
#define IMDS_ATTEMPTS 2
#define IMDS_TOKEN_TTL_S 21600
#define CREDS_PATH "/latest/meta-data/iam/security-credentials/"

struct imds_provider {
    struct cred_provider base;
    struct http_client *http;            /* borrowed */
    const struct aws_shared_config *cfg; /* borrowed; may be NULL */
    char *profile;
    char *token; /* secret; NULL: none yet */
    time_t token_expires;
};

static const char *profile_value(const struct imds_provider *ip, const char *key)
{
    const char *v = ip->cfg ? aws_shared_config_get(ip->cfg, ip->profile, key) : NULL;
    return v && *v ? v : NULL;
}

static void endpoint(const struct imds_provider *ip, struct buf *out)
{
    const char *ep = cred_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!ep)
        ep = profile_value(ip, "ec2_metadata_service_endpoint");
    if (!ep) {
        const char *mode = cred_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
        if (!mode)
            mode = profile_value(ip, "ec2_metadata_service_endpoint_mode");
        ep = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_HOST_V6 : IMDS_HOST_V4;
    }
    buf_puts(out, ep);
    while (out->len && out->data[out->len - 1] == '/')
        out->data[--out->len] = '\0';
}

static void drop_token(struct imds_provider *ip)
{
    free_secret(ip->token);
    ip->token = NULL;
}

/* 0: token ready (or IMDSv1 fallback with ip->token NULL); -1 with *absent
 * when IMDS does not answer. */
static int fetch_token(struct imds_provider *ip, const char *base, int *absent, struct err *err)
{
    if (ip->token && time(NULL) < ip->token_expires - 60)
        return 0;
    drop_token(ip);
    struct buf url = BUF_INIT;
    buf_printf(&url, "%s/latest/api/token", base);
    struct http_headers h = HTTP_HEADERS_INIT;
    char ttl[16];
    snprintf(ttl, sizeof(ttl), "%d", IMDS_TOKEN_TTL_S);
    http_headers_add(&h, "X-aws-ec2-metadata-token-ttl-seconds", ttl);
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    int rc = cred_http(ip->http, "PUT", buf_cstr(&url), &h, IMDS_TIMEOUT_MS, IMDS_ATTEMPTS, 0,
                       &resp, err);
    if (rc != 0) {
        char reason[sizeof(err->message)];
        snprintf(reason, sizeof(reason), "%s", err->message);
        rc = cred_absent(absent, err,
                         "EC2 instance metadata (%s): no answer (%s); not on EC2, or the "
                         "instance's metadata hop limit is too low",
                         base, reason);
    } else if (resp.status == 200 && resp.body.len > 0) {
        char *token = xstrndup(buf_cstr(&resp.body), resp.body.len);
        size_t n = strlen(token);
        while (n && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' '))
            token[--n] = '\0';
        log_add_secret(token);
        ip->token = token;
        ip->token_expires = time(NULL) + IMDS_TOKEN_TTL_S;
    } else if (resp.status == 403) {
        rc = cred_absent(absent, err,
                         "EC2 instance metadata (%s): turned off for this instance (HTTP 403)",
                         base);
    } else if (resp.status == 404 || resp.status == 405) {
        /* No IMDSv2 here: go on without a token (IMDSv1), as the SDKs do. */
        log_debug("EC2 instance metadata: no IMDSv2 token (HTTP %ld), using IMDSv1", resp.status);
    } else {
        char excerpt[256];
        cred_body_excerpt(&resp, excerpt, sizeof(excerpt));
        rc = err_set(err, ERR_CREDENTIALS,
                     "EC2 instance metadata (%s): PUT /latest/api/token answered HTTP %ld: %s",
                     base, resp.status, excerpt);
    }
    if (resp.body.data)
        secure_zero(resp.body.data, resp.body.len);
    http_response_free(&resp);
    http_headers_free(&h);
    buf_free(&url);
    return rc;
}

/* GET base + path with the token; a 401 (expired token) gets a new token
 * and one more try. */
static int imds_get_path(struct imds_provider *ip, const char *base, const char *path,
                         struct http_response *resp, int *absent, struct err *err)
{
    struct buf url = BUF_INIT;
    buf_printf(&url, "%s%s", base, path);
    int rc = 0;
    for (int round = 0; round < 2; round++) {
        if ((rc = fetch_token(ip, base, absent, err)) != 0)
            break;
        struct http_headers h = HTTP_HEADERS_INIT;
        if (ip->token)
            http_headers_add(&h, "X-aws-ec2-metadata-token", ip->token);
        rc = cred_http(ip->http, "GET", buf_cstr(&url), &h, IMDS_TIMEOUT_MS, IMDS_ATTEMPTS, 0, resp,
                       err);
        cred_headers_free(&h);
        if (rc != 0) {
            err_prefix(err, "EC2 instance metadata: GET %s: ", path);
            break;
        }
        if (resp->status != 401 || !ip->token)
            break;
        drop_token(ip);
    }
    buf_free(&url);
    return rc;
}

int cred_imds_parse_credentials(const char *who, const struct http_response *resp,
                                struct aws_credentials *out, struct err *err)
{
    cJSON *json = cred_json_parse(buf_cstr(&resp->body), resp->body.len, who, "answered", err);
    if (!json)
        return cred_err_append(err, "; is another service or a proxy answering at that address?");
    int rc;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(json, "Code");
    if (cJSON_IsString(code) && strcmp(code->valuestring, "Success") != 0) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(json, "Message");
        /* A failed answer can still carry keys, and Code and Message are
         * the endpoint's text: neither key reaches the message. */
        const char *secret_keys[] = {"SecretAccessKey", "Token"};
        for (size_t i = 0; i < sizeof secret_keys / sizeof secret_keys[0]; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, secret_keys[i]);
            if (cJSON_IsString(v))
                log_add_secret(v->valuestring);
        }
        err_set(err, ERR_CREDENTIALS, "%s: credentials not available: ", who);
        rc = cred_err_append(err,
                             "%s: %s; check the instance profile's role and its trust policy "
                             "(it must trust ec2.amazonaws.com)",
                             code->valuestring,
                             cJSON_IsString(msg) ? msg->valuestring : "(no message)");
    } else {
        rc = cred_from_json(json, "Token", who, out, err);
    }
    cred_json_free(json);
    return rc;
}

static int imds_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                    struct err *err)
{
    struct imds_provider *ip = (struct imds_provider *)self;
    const char *disabled = cred_getenv("AWS_EC2_METADATA_DISABLED");
    if (disabled && strcasecmp(disabled, "true") == 0)
        return cred_absent(absent, err,
                           "EC2 instance metadata: turned off by AWS_EC2_METADATA_DISABLED");
    struct buf base = BUF_INIT, who = BUF_INIT;
    endpoint(ip, &base);
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    char *role = NULL;
    char excerpt[256];
    int rc = imds_get_path(ip, buf_cstr(&base), CREDS_PATH, &resp, absent, err);
    if (rc != 0)
        goto done;
    if (resp.status == 404 || (resp.status == 200 && resp.body.len == 0)) {
        rc = cred_absent(absent, err,
                         "EC2 instance metadata (%s): no IAM role attached to this instance; "
                         "attach an instance profile",
                         buf_cstr(&base));
        goto done;
    }
    if (resp.status != 200) {
        cred_body_excerpt(&resp, excerpt, sizeof(excerpt));
        rc = err_set(err, ERR_CREDENTIALS,
                     "EC2 instance metadata (%s): GET %s answered HTTP %ld: %s; check the "
                     "instance's metadata options",
                     buf_cstr(&base), CREDS_PATH, resp.status, excerpt);
        goto done;
    }
    size_t n = strcspn(buf_cstr(&resp.body), "\r\n");
    role = xstrndup(buf_cstr(&resp.body), n);
    buf_printf(&who, "EC2 instance metadata (%s, role %s)", buf_cstr(&base), role);

    struct buf path = BUF_INIT;
    buf_printf(&path, "%s%s", CREDS_PATH, role);
    http_response_free(&resp);
    memset(&resp, 0, sizeof(resp));
    rc = imds_get_path(ip, buf_cstr(&base), buf_cstr(&path), &resp, absent, err);
    buf_free(&path);
    if (rc != 0)
        goto done;
    if (resp.status != 200) {
        cred_body_excerpt(&resp, excerpt, sizeof(excerpt));
        rc = err_set(err, ERR_CREDENTIALS,
                     "%s answered HTTP %ld: %s; check the instance's metadata options and its "
                     "instance profile",
                     buf_cstr(&who), resp.status, excerpt);
        goto done;
    }
    rc = cred_imds_parse_credentials(buf_cstr(&who), &resp, out, err);
    if (rc == 0) {
        buf_reset(&who);
        buf_printf(&who, "EC2 instance metadata (role %s)", role);
        out->source = buf_steal(&who);
    }
done:
    if (resp.body.data)
        secure_zero(resp.body.data, resp.body.len);
    http_response_free(&resp);
    free(role);
    buf_free(&base);
    buf_free(&who);
    return rc;
}

static void imds_destroy(struct cred_provider *self)
{
    struct imds_provider *ip = (struct imds_provider *)self;
    drop_token(ip);
    free(ip->profile);
    free(ip);
}

struct cred_provider *cred_imds_new(struct http_client *http, const struct aws_shared_config *cfg,
                                    const char *profile)
{
    struct imds_provider *ip = xcalloc(1, sizeof(*ip));
    ip->http = http;
    ip->cfg = cfg;
    ip->profile = xstrdup(profile ? profile : "default");
    ip->base.name = "EC2 instance metadata";
    ip->base.get = imds_get;
    ip->base.destroy = imds_destroy;
    return &ip->base;
}
