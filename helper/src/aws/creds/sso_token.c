/* The SSO token cache (~/.aws/sso/cache) and its refresh through SSO OIDC
 * CreateToken, as botocore does it (utils.SSOTokenLoader,
 * tokens.SSOTokenProvider, utils.JSONFileCache). CreateToken is the
 * rest-json call POST /token of the "SSO OIDC" service (botocore's
 * sso-oidc/2019-06-10 model; IAM Identity Center OIDC API Reference,
 * CreateToken), unsigned. */
#include "aws/creds/sso_token.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/md.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/creds/providers.h"
#include "aws/profile_file.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"

#define SSO_CACHE_DIR "~/.aws/sso/cache"
#define MAX_CACHE_BYTES (1024 * 1024)

char *sso_token_cache_path(const char *key)
{
    unsigned char digest[20];
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
    if (!md || mbedtls_md(md, (const unsigned char *)key, strlen(key), digest) != 0)
        abort(); /* SHA-1 is in every mbedTLS build: nothing to recover */
    struct buf b = BUF_INIT;
    char *dir = aws_expand_home(SSO_CACHE_DIR);
    buf_printf(&b, "%s/", dir);
    free(dir);
    for (size_t i = 0; i < sizeof(digest); i++)
        buf_printf(&b, "%02x", digest[i]);
    buf_puts(&b, ".json");
    return buf_steal(&b);
}

int sso_token_parse_time(const char *s, time_t *out)
{
    if (!s)
        return -1;
    size_t n = strlen(s);
    if (n > 3 && strcmp(s + n - 3, "UTC") == 0) {
        char fixed[64];
        if (n - 3 + 2 > sizeof(fixed))
            return -1;
        memcpy(fixed, s, n - 3);
        memcpy(fixed + n - 3, "Z", 2);
        return cred_parse_time(fixed, out);
    }
    return cred_parse_time(s, out);
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && v->valuestring && *v->valuestring ? v->valuestring : NULL;
}

static int read_file(const char *path, struct buf *out, int *missing, struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *missing = errno == ENOENT || errno == ENOTDIR;
        return err_set(err, ERR_CREDENTIALS, "cannot read the SSO token cache %s: %s", path,
                       strerror(errno));
    }
    int e;
    enum file_read rd = file_read_all(fd, out, MAX_CACHE_BYTES, &e);
    close(fd);
    if (rd == FILE_READ_TOO_BIG)
        return err_set(err, ERR_CREDENTIALS,
                       "the SSO token cache %s is larger than 1 MiB; is it the right file?", path);
    if (rd != FILE_READ_OK)
        return err_set(err, ERR_CREDENTIALS, "cannot read the SSO token cache %s: %s", path,
                       strerror(e));
    return 0;
}

char *sso_url(const char *base, const char *path_and_query)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    struct buf b = BUF_INIT;
    buf_printf(&b, "%.*s%s", (int)n, base, path_and_query);
    return buf_steal(&b);
}

int sso_http(struct http_client *http, const struct http_request *req, struct http_response *resp,
             struct err *err)
{
    for (int attempt = 1;; attempt++) {
        http_response_free(resp);
        memset(resp, 0, sizeof(*resp));
        int rc = http_send(http, req, resp, err);
        int again = rc != 0 ? err->kind == ERR_TIMEOUT || err->kind == ERR_NETWORK
                            : resp->status >= 500 || resp->status == 429;
        if (!again || attempt >= SSO_HTTP_ATTEMPTS)
            return rc;
        log_debug("%s %s: %s; trying again", req->method, req->url,
                  rc != 0 ? err->message : "throttled or server error");
    }
}

int sso_token_load(const char *path, struct sso_token *tok, int *missing, struct err *err)
{
    memset(tok, 0, sizeof(*tok));
    *missing = 0;
    struct buf text = BUF_INIT;
    if (read_file(path, &text, missing, err) != 0) {
        buf_free_secret(&text);
        return -1;
    }
    cJSON *doc = cred_json_parse(buf_cstr(&text), text.len, "the SSO token cache", "holds", err);
    buf_free_secret(&text);
    if (!doc)
        return err_prefix(err, "%s: ", path);
    log_add_secret(json_str(doc, "accessToken"));
    log_add_secret(json_str(doc, "refreshToken"));
    log_add_secret(json_str(doc, "clientSecret"));
    const char *access = json_str(doc, "accessToken");
    const char *expires = json_str(doc, "expiresAt");
    time_t at = 0;
    if (!access || !expires || sso_token_parse_time(expires, &at) != 0) {
        cred_json_free(doc);
        return err_set(err, ERR_CREDENTIALS,
                       "the SSO token cache %s is invalid: it needs accessToken and an "
                       "expiresAt time",
                       path);
    }
    tok->path = xstrdup(path);
    tok->doc = doc;
    tok->access_token = access;
    tok->expires_at = at;
    return 0;
}

void sso_token_free(struct sso_token *tok)
{
    if (!tok)
        return;
    free(tok->path);
    cred_json_free(tok->doc);
    memset(tok, 0, sizeof(*tok));
}

/* Write `doc` to `path` as botocore's JSONFileCache does: a new file beside
 * it (mode 0600), synced, then renamed over the old one. */
static int write_cache(const char *path, const cJSON *doc, struct err *err)
{
    char *text = cJSON_PrintUnformatted(doc);
    if (!text)
        abort();
    struct buf tmp = BUF_INIT;
    buf_printf(&tmp, "%s.XXXXXX", path);
    int rc = 0;
    int fd = mkstemp(tmp.data);
    if (fd < 0) {
        rc = err_set(err, ERR_IO, "cannot write the SSO token cache beside %s: %s", path,
                     strerror(errno));
    } else {
        size_t len = strlen(text), done = 0;
        while (done < len && rc == 0) {
            ssize_t w = write(fd, text + done, len - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                rc = err_set(err, ERR_IO, "cannot write %s: %s", buf_cstr(&tmp), strerror(errno));
            else
                done += (size_t)w;
        }
        if (rc == 0 && fsync(fd) != 0)
            rc = err_set(err, ERR_IO, "cannot write %s: %s", buf_cstr(&tmp), strerror(errno));
        if (close(fd) != 0 && rc == 0)
            rc = err_set(err, ERR_IO, "cannot write %s: %s", buf_cstr(&tmp), strerror(errno));
        if (rc == 0 && rename(buf_cstr(&tmp), path) != 0)
            rc = err_set(err, ERR_IO, "cannot replace the SSO token cache %s: %s", path,
                         strerror(errno));
        if (rc != 0)
            unlink(buf_cstr(&tmp));
    }
    secure_zero(text, strlen(text));
    cJSON_free(text);
    buf_free(&tmp);
    return rc;
}

/* "InvalidGrantException: message" from a rest-json error answer: the code
 * from x-amzn-ErrorType (before any ':'), else the body's __type, code or
 * OAuth "error"; the message from message / error_description. */
void sso_error_text(const struct http_response *resp, char *out, size_t cap)
{
    char code[128] = "";
    const char *hdr = http_headers_get(&resp->headers, "x-amzn-ErrorType");
    if (hdr)
        snprintf(code, sizeof(code), "%.*s", (int)strcspn(hdr, ":"), hdr);
    cJSON *body = cJSON_ParseWithLength(resp->body.data ? resp->body.data : "", resp->body.len);
    const char *msg = NULL;
    if (cJSON_IsObject(body)) {
        const char *keys[] = {"__type", "code", "error"};
        for (size_t i = 0; !code[0] && i < 3; i++)
            if (json_str(body, keys[i]))
                snprintf(code, sizeof(code), "%s", json_str(body, keys[i]));
        msg = json_str(body, "message");
        if (!msg)
            msg = json_str(body, "Message");
        if (!msg)
            msg = json_str(body, "error_description");
    }
    char excerpt[256];
    if (!msg) {
        cred_body_excerpt(resp, excerpt, sizeof(excerpt));
        msg = excerpt;
    }
    snprintf(out, cap, "HTTP %ld%s%s: %s", resp->status, code[0] ? " " : "", code, msg);
    cred_json_free(body);
    log_scrub(out);
}

/* POST /token; on success *answer is the parsed answer (holds secrets). */
static int create_token(struct http_client *http, const char *oidc_url, const cJSON *old,
                        cJSON **answer, struct err *err)
{
    *answer = NULL;
    char *url = sso_url(oidc_url, "/token");
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "grantType", "refresh_token");
    cJSON_AddStringToObject(req, "clientId", json_str(old, "clientId"));
    cJSON_AddStringToObject(req, "clientSecret", json_str(old, "clientSecret"));
    cJSON_AddStringToObject(req, "refreshToken", json_str(old, "refreshToken"));
    char *body = cJSON_PrintUnformatted(req);
    cred_json_free(req);
    if (!body)
        abort();
    struct http_headers headers = HTTP_HEADERS_INIT;
    http_headers_add(&headers, "Content-Type", "application/json");
    http_headers_add(&headers, "Accept", "application/json");
    struct http_request r = {.method = "POST",
                             .url = url,
                             .headers = &headers,
                             .body = body,
                             .body_len = strlen(body),
                             .timeout_ms = SSO_HTTP_TIMEOUT_MS};
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    int rc = sso_http(http, &r, &resp, err);
    if (rc != 0) {
        err_prefix(err, "SSO OIDC CreateToken at %s: ", url);
    } else if (resp.status != 200) {
        char why[512];
        sso_error_text(&resp, why, sizeof(why));
        rc = err_set(err, ERR_CREDENTIALS, "SSO OIDC CreateToken at %s answered %s", url, why);
    } else {
        *answer = cred_json_parse(buf_cstr(&resp.body), resp.body.len, "SSO OIDC CreateToken",
                                  "answered", err);
        rc = *answer ? 0 : -1;
    }
    if (resp.body.data)
        secure_zero(resp.body.data, resp.body.len);
    http_response_free(&resp);
    http_headers_free(&headers);
    secure_zero(body, strlen(body));
    cJSON_free(body);
    free(url);
    return rc;
}

int sso_token_refresh(struct http_client *http, const char *oidc_url, const char *start_url,
                      const char *sso_region, time_t now, struct sso_token *tok, struct err *err)
{
    const cJSON *old = tok->doc;
    const char *needed[] = {"refreshToken", "clientId", "clientSecret", "registrationExpiresAt"};
    for (size_t i = 0; i < 4; i++)
        if (!json_str(old, needed[i]))
            return err_set(err, ERR_CREDENTIALS,
                           "the cached SSO token cannot be refreshed: %s has no %s", tok->path,
                           needed[i]);
    time_t reg_expires;
    if (sso_token_parse_time(json_str(old, "registrationExpiresAt"), &reg_expires) != 0)
        return err_set(err, ERR_CREDENTIALS,
                       "the cached SSO token cannot be refreshed: registrationExpiresAt in %s is "
                       "not a time",
                       tok->path);
    if (reg_expires <= now)
        return err_set(err, ERR_CREDENTIALS,
                       "the cached SSO token cannot be refreshed: its client registration "
                       "expired");
    cJSON *answer;
    if (create_token(http, oidc_url, old, &answer, err) != 0)
        return -1;
    const char *access = json_str(answer, "accessToken");
    const cJSON *expires_in = cJSON_GetObjectItemCaseSensitive(answer, "expiresIn");
    log_add_secret(access);
    log_add_secret(json_str(answer, "refreshToken"));
    if (!access || !cJSON_IsNumber(expires_in) || expires_in->valuedouble <= 0 ||
        expires_in->valuedouble > 400 * 24 * 3600.0) {
        cred_json_free(answer);
        return err_set(err, ERR_CREDENTIALS,
                       "SSO OIDC CreateToken answered without accessToken or a positive "
                       "expiresIn");
    }
    time_t expires_at = now + (time_t)expires_in->valuedouble;
    char when[32];
    cred_format_time(expires_at, when);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "startUrl", start_url);
    cJSON_AddStringToObject(doc, "region", sso_region);
    cJSON_AddStringToObject(doc, "accessToken", access);
    cJSON_AddStringToObject(doc, "expiresAt", when);
    cJSON_AddStringToObject(doc, "clientId", json_str(old, "clientId"));
    cJSON_AddStringToObject(doc, "clientSecret", json_str(old, "clientSecret"));
    cJSON_AddStringToObject(doc, "registrationExpiresAt", json_str(old, "registrationExpiresAt"));
    if (json_str(answer, "refreshToken"))
        cJSON_AddStringToObject(doc, "refreshToken", json_str(answer, "refreshToken"));
    cred_json_free(answer);
    if (write_cache(tok->path, doc, err) != 0) {
        cred_json_free(doc);
        return -1;
    }
    cred_json_free(tok->doc);
    tok->doc = doc;
    tok->access_token = json_str(doc, "accessToken");
    tok->expires_at = expires_at;
    return 0;
}
