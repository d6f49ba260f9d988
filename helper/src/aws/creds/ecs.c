/* ECS container credentials (and EKS Pod Identity, which uses the same
 * variables): GET the endpoint the agent announces and read
 * {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}.
 *
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on http://169.254.170.2;
 * AWS_CONTAINER_CREDENTIALS_FULL_URI is a whole URL, which over plain http
 * must point at a loopback address or one of the agents' link-local
 * addresses, as the SDKs require. The authorization token comes from
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every call, since the
 * agent rotates it) or AWS_CONTAINER_AUTHORIZATION_TOKEN. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/creds/providers.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#define ECS_TIMEOUT_MS 2000
#define ECS_ATTEMPTS 3

struct ecs_provider {
    struct cred_provider base;
    struct http_client *http; /* borrowed */
};

/* Over plain http, the token goes only to this machine or to the agents'
 * link-local addresses, as the SDKs require. */
static int host_allowed_over_http(const char *host)
{
    if (http_host_is_loopback(host))
        return 1;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1) {
        unsigned long a = ntohl(v4.s_addr);
        return a == 0xA9FEAA02UL /* 169.254.170.2 */ || a == 0xA9FEAA17UL /* 169.254.170.23 */;
    }
    struct in6_addr v6, eks;
    if (inet_pton(AF_INET6, host, &v6) == 1) {
        inet_pton(AF_INET6, "fd00:ec2::23", &eks);
        return memcmp(&v6, &eks, sizeof(v6)) == 0;
    }
    return 0;
}

/* The URL to call and the variable it came from. */
static int endpoint_url(struct buf *url, const char **from, int *absent, struct err *err)
{
    const char *rel = cred_getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = cred_getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (rel) {
        buf_puts(url, cred_ecs_relative_base());
        if (rel[0] != '/')
            buf_putc(url, '/');
        buf_puts(url, rel);
        *from = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
        return 0;
    }
    if (!full)
        return cred_absent(absent, err,
                           "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are "
                           "not set");
    *from = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    struct http_url u;
    memset(&u, 0, sizeof(u));
    if (http_url_parse(full, &u, err) != 0)
        return err_prefix(err, "container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI is not "
                               "a URL: ");
    int rc = 0;
    if (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0)
        rc = err_set(err, ERR_CREDENTIALS,
                     "container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI=%s must be an "
                     "http or https URL",
                     full);
    else if (strcmp(u.scheme, "http") == 0 && !host_allowed_over_http(u.host))
        rc = err_set(err, ERR_CREDENTIALS,
                     "container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI=%s uses plain "
                     "http to host %s; over http only loopback addresses, 169.254.170.2, "
                     "169.254.170.23 and fd00:ec2::23 are allowed, use https for other hosts",
                     full, u.host);
    else
        buf_puts(url, full);
    http_url_free(&u);
    return rc;
}

/* The Authorization header value, if any (a secret). */
static int auth_token(char **out, struct err *err)
{
    *out = NULL;
    const char *file = cred_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (file) {
        if (cred_read_token_file(file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", out, err) != 0)
            return err_prefix(err, "container credentials: ");
        return 0;
    }
    const char *token = cred_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (!token)
        return 0;
    log_add_secret(token);
    if (text_has_control(token))
        return err_set(err, ERR_CREDENTIALS,
                       "container credentials: AWS_CONTAINER_AUTHORIZATION_TOKEN holds a line "
                       "break or another control character; it must be a single line of "
                       "printable text");
    *out = xstrdup(token);
    return 0;
}

static int ecs_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                   struct err *err)
{
    struct ecs_provider *ep = (struct ecs_provider *)self;
    struct buf url = BUF_INIT, who = BUF_INIT;
    const char *from = NULL;
    char *token = NULL;
    struct http_headers headers = HTTP_HEADERS_INIT;
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    int rc = endpoint_url(&url, &from, absent, err);
    if (rc == 0)
        rc = auth_token(&token, err);
    if (rc != 0)
        goto done;
    buf_printf(&who, "container credentials (%s, from %s)", buf_cstr(&url), from);
    http_headers_add(&headers, "Accept", "application/json");
    if (token)
        http_headers_add(&headers, "Authorization", token);
    if (cred_http(ep->http, "GET", buf_cstr(&url), &headers, ECS_TIMEOUT_MS, ECS_ATTEMPTS, 1, &resp,
                  err) != 0) {
        rc = err_prefix(err, "%s: ", buf_cstr(&who));
        cred_err_append(
            err, "; is the ECS agent (or EKS Pod Identity agent) running and the task given a "
                 "task role?");
        goto done;
    }
    if (resp.status != 200) {
        char excerpt[256];
        cred_body_excerpt(&resp, excerpt, sizeof(excerpt));
        const char *hint = resp.status == 401 || resp.status == 403
                               ? "check AWS_CONTAINER_AUTHORIZATION_TOKEN or "
                                 "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
                               : "check that the task or pod has a role and that the URI is right";
        rc = err_set(err, ERR_CREDENTIALS, "%s answered HTTP %ld: %s; %s", buf_cstr(&who),
                     resp.status, excerpt, hint);
        err->http_status = resp.status;
        goto done;
    }
    cJSON *json =
        cred_json_parse(buf_cstr(&resp.body), resp.body.len, buf_cstr(&who), "answered", err);
    if (!json) {
        rc = cred_err_append(err, "; is another service or a proxy answering at that address?");
        goto done;
    }
    rc = cred_from_json(json, "Token", buf_cstr(&who), out, err);
    cred_json_free(json);
    if (rc == 0) {
        buf_reset(&who);
        buf_printf(&who, "container credentials (%s)", buf_cstr(&url));
        out->source = buf_steal(&who);
    }
done:
    cred_headers_free(&headers);
    if (resp.body.data)
        secure_zero(resp.body.data, resp.body.len);
    http_response_free(&resp);
    free_secret(token);
    buf_free(&url);
    buf_free(&who);
    return rc;
}

static void ecs_destroy(struct cred_provider *self)
{
    free(self);
}

struct cred_provider *cred_ecs_new(struct http_client *http)
{
    struct ecs_provider *ep = xcalloc(1, sizeof(*ep));
    ep->http = http;
    ep->base.name = "container credentials";
    ep->base.get = ecs_get;
    ep->base.destroy = ecs_destroy;
    return &ep->base;
}
