/* Copies of request and response bodies that are safe to log at LOG_TRACE:
 * values that can hold credentials (STS answers carry SecretAccessKey and
 * SessionToken; AssumeRoleWithWebIdentity sends the web identity token) are
 * replaced before anything is printed. The log's secret scrubbing is only a
 * second line of defence: new credentials are not registered yet when the
 * answer that carries them is logged. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "aws/client_impl.h"
#include "util/buf.h"
#include "util/mem.h"

#define REDACTED "<redacted>"

/* Names of fields that may hold a secret, compared case-insensitively.
 * Pagination tokens (NextToken) are not secrets and stay readable. */
static int secret_name(const char *name, size_t len)
{
    static const char *const words[] = {"secret",     "token",         "password",
                                        "credential", "samlassertion", "privatekey"};
    if ((len == 9 && strncasecmp(name, "NextToken", 9) == 0) ||
        (len == 13 && strncasecmp(name, "PaginationToken", 13) == 0))
        return 0;
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= len; i++)
            if (strncasecmp(name + i, words[w], wl) == 0)
                return 1;
    }
    return 0;
}

char *aws_redact_form(const char *body, size_t len)
{
    struct buf out = BUF_INIT;
    buf_reserve(&out, len);
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        const char *eq = memchr(body + i, '=', end - i);
        size_t klen = eq ? (size_t)(eq - (body + i)) : end - i;
        /* "Tags.member.1.Value" style keys: judge the last component. */
        const char *key = body + i;
        const char *dot = NULL;
        for (size_t k = 0; k < klen; k++)
            if (key[k] == '.')
                dot = key + k;
        const char *last = dot ? dot + 1 : key;
        if (eq && secret_name(last, (size_t)(key + klen - last))) {
            buf_append(&out, key, klen);
            buf_puts(&out, "=" REDACTED);
        } else {
            buf_append(&out, body + i, end - i);
        }
        if (end < len)
            buf_putc(&out, '&');
        i = end + 1;
    }
    return buf_steal(&out);
}

char *aws_redact_xml(const char *body, size_t len)
{
    /* A textual pass over "<Name>value</Name>": enough for AWS answers,
     * which have no CDATA or attributes on such elements; it never needs
     * the document to be well formed. */
    struct buf out = BUF_INIT;
    buf_reserve(&out, len);
    size_t i = 0;
    while (i < len) {
        const char *lt = memchr(body + i, '<', len - i);
        if (!lt) {
            buf_append(&out, body + i, len - i);
            break;
        }
        size_t at = (size_t)(lt - body);
        buf_append(&out, body + i, at - i);
        size_t name_start = at + 1, name_end = name_start;
        while (name_end < len && (isalnum((unsigned char)body[name_end]) || body[name_end] == ':' ||
                                  body[name_end] == '_'))
            name_end++;
        if (name_end < len && body[name_end] == '>' && name_end > name_start) {
            const char *name = body + name_start;
            size_t nlen = name_end - name_start;
            const char *colon = memchr(name, ':', nlen);
            const char *local = colon ? colon + 1 : name;
            size_t llen = (size_t)(name + nlen - local);
            if (secret_name(local, llen)) {
                buf_append(&out, body + at, name_end + 1 - at);
                buf_puts(&out, REDACTED);
                /* Skip to the next tag (the closing one). */
                size_t j = name_end + 1;
                while (j < len && body[j] != '<')
                    j++;
                i = j;
                continue;
            }
        }
        buf_putc(&out, '<');
        i = at + 1;
    }
    return buf_steal(&out);
}

static void redact_json_node(cJSON *node)
{
    for (cJSON *c = node ? node->child : NULL; c; c = c->next) {
        if (c->string && cJSON_IsString(c) && secret_name(c->string, strlen(c->string)))
            cJSON_SetValuestring(c, REDACTED);
        else if (cJSON_IsObject(c) || cJSON_IsArray(c))
            redact_json_node(c);
    }
}

char *aws_redact_json(const char *body, size_t len)
{
    cJSON *doc = len ? cJSON_ParseWithLength(body, len) : NULL;
    if (!doc) {
        /* Not JSON: show it as it is; the log still scrubs known secrets. */
        return xstrndup(body ? body : "", len);
    }
    redact_json_node(doc);
    char *s = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    char *copy = xstrdup(s ? s : "");
    cJSON_free(s);
    return copy;
}
