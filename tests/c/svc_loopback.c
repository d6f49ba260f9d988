#include "svc_loopback.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/buf.h"
#include "util/mem.h"

int svc_lb_start(struct svc_lb *e)
{
    memset(e, 0, sizeof(*e));
    struct err err;
    struct http_options opts = {0};
    e->lb = loopback_start();
    e->http = http_client_new(&opts, &err);
    if (!e->http) {
        test_fail(__FILE__, __LINE__, "http_client_new: %s", err.message);
        loopback_stop(e->lb);
        return -1;
    }
    e->creds = cred_static_new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL);
    aws_client_init(&e->c, e->http, e->creds, "us-east-1", loopback_url(e->lb));
    /* Each scripted answer is used once: no retries. */
    e->c.retry.max_attempts = 1;
    return 0;
}

void svc_lb_stop(struct svc_lb *e)
{
    aws_client_cleanup(&e->c);
    cred_provider_free(e->creds);
    http_client_free(e->http);
    loopback_stop(e->lb);
}

static int hexval(int ch)
{
    return isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
}

char *svc_lb_form_get(const char *body, const char *key)
{
    size_t klen = strlen(key);
    const char *p = body ? body : "";
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            struct buf v = BUF_INIT;
            for (size_t i = klen + 1; i < len; i++) {
                if (p[i] == '%' && i + 2 < len && isxdigit((unsigned char)p[i + 1]) &&
                    isxdigit((unsigned char)p[i + 2])) {
                    buf_putc(&v, (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2])));
                    i += 2;
                } else {
                    buf_putc(&v, p[i] == '+' ? ' ' : p[i]);
                }
            }
            buf_putc(&v, '\0');
            v.len--;
            return buf_steal(&v);
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return NULL;
}

int svc_lb_form_is(const struct loopback_request *req, const char *key, const char *value)
{
    char *v = svc_lb_form_get(req->body, key);
    int ok = v && strcmp(v, value) == 0;
    free(v);
    return ok;
}

int svc_lb_form_has(const struct loopback_request *req, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = req->body ? req->body : ""; *p;) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=')
            return 1;
        const char *amp = strchr(p, '&');
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

const struct loopback_request *svc_lb_request(struct svc_lb *e, size_t i)
{
    return loopback_request_at(e->lb, i);
}

cJSON *svc_lb_request_json(struct svc_lb *e, size_t i)
{
    return cJSON_Parse(svc_lb_request(e, i)->body);
}

char *svc_lb_ids(const char *prefix, size_t n, const char ***ids_out)
{
    char *block = xcalloc(n ? n : 1, 24);
    const char **ids = xcalloc(n ? n : 1, sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        snprintf(block + i * 24, 24, "%s%05zu", prefix, i);
        ids[i] = block + i * 24;
    }
    *ids_out = ids;
    return block;
}

const char *svc_lb_target(const struct loopback_request *req)
{
    const char *t = loopback_request_header(req, "X-Amz-Target");
    return t ? t : "";
}

const char *svc_lb_json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

size_t svc_lb_list_size(struct svc_lb *e, size_t i, const char *key)
{
    cJSON *j = svc_lb_request_json(e, i);
    size_t n = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, key));
    cJSON_Delete(j);
    return n;
}
