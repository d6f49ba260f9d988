/* HTTP for the metadata endpoints (EC2 instance metadata, container
 * credentials): few short tries, and care with the tokens they carry. */
#include <stdio.h>
#include <string.h>

#include "aws/creds/providers.h"
#include "util/log.h"
#include "util/mem.h"

/* A credentials document or an IMDS token is well under a kilobyte. */
#define CRED_MAX_RESPONSE_BYTES (64u * 1024u)

int cred_http(struct http_client *http, const char *method, const char *url,
              const struct http_headers *headers, long timeout_ms, int attempts, int retry_network,
              struct http_response *resp, struct err *err)
{
    struct http_request req = {
        .method = method,
        .url = url,
        .headers = headers,
        .timeout_ms = timeout_ms,
        .max_response_bytes = CRED_MAX_RESPONSE_BYTES,
    };
    for (int attempt = 1;; attempt++) {
        http_response_free(resp);
        memset(resp, 0, sizeof(*resp));
        int rc = http_send(http, &req, resp, err);
        int again = rc != 0
                        ? (err->kind == ERR_TIMEOUT || (retry_network && err->kind == ERR_NETWORK))
                        : resp->status >= 500;
        if (!again || attempt >= attempts)
            return rc;
        log_debug("%s %s: %s; trying again", method, url, rc != 0 ? err->message : "server error");
    }
}

void cred_headers_free(struct http_headers *h)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].value)
            secure_zero(h->v[i].value, strlen(h->v[i].value));
    http_headers_free(h);
}

void cred_body_excerpt(const struct http_response *resp, char *out, size_t cap)
{
    /* Scrubbed whole first (bodies here are at most CRED_MAX_RESPONSE_BYTES),
     * then cut: a secret cut in two would escape the scrubbing. */
    char *text = xstrndup(buf_cstr(&resp->body), resp->body.len);
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] == 0x7f)
            text[i] = ' ';
    log_scrub(text);
    len = strlen(text);
    size_t j = 0;
    for (; j < len && j + 4 < cap && j < 200; j++)
        out[j] = text[j];
    if (j < len && j + 4 < cap) {
        memcpy(out + j, "...", 3);
        j += 3;
    }
    if (cap)
        out[j < cap ? j : cap - 1] = '\0';
    if (len == 0)
        snprintf(out, cap, "(empty body)");
    free_secret(text);
}
