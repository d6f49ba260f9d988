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
              const struct http_headers *headers, long timeout_ms, int attempts,
              int retry_network, struct http_response *resp, struct err *err)
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
        int again = rc != 0 ? (err->kind == ERR_TIMEOUT || (retry_network && err->kind == ERR_NETWORK))
                            : resp->status >= 500;
        if (!again || attempt >= attempts)
            return rc;
        log_debug("%s %s: %s; trying again", method, url,
                  rc != 0 ? err->message : "server error");
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
    size_t j = 0;
    const char *body = buf_cstr(&resp->body);
    for (size_t i = 0; i < resp->body.len && j + 4 < cap && j < 200; i++) {
        unsigned char c = (unsigned char)body[i];
        out[j++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    if (j < resp->body.len && j + 4 < cap) {
        memcpy(out + j, "...", 3);
        j += 3;
    }
    out[j] = '\0';
    if (j == 0)
        snprintf(out, cap, "(empty body)");
    log_scrub(out);
}
