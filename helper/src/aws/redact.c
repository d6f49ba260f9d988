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

char *aws_redact_xml(const char *body, size_t len, size_t *out_len)
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
        /* XML name characters: "<x-amz-security-token>" is one name. */
        while (name_end < len &&
               (isalnum((unsigned char)body[name_end]) || body[name_end] == ':' ||
                body[name_end] == '_' || body[name_end] == '-' || body[name_end] == '.'))
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
    if (out_len)
        *out_len = out.len;
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

/* End of the JSON string whose opening quote is at `at`: the index of its
 * closing quote, or len when it is cut short. */
static size_t json_string_end(const char *s, size_t len, size_t at)
{
    size_t i = at + 1;
    while (i < len && s[i] != '"')
        i += s[i] == '\\' ? 2 : 1;
    return i < len ? i : len;
}

/* A textual pass for text that does not parse as JSON (cut short, or not
 * JSON at all). Every `"Name" : "` with a secret-looking name, wherever it
 * stands (even inside another string: the text's structure is unknown),
 * has its value replaced up to the next unescaped quote or the end. Values
 * are marked first and replaced after, so no earlier match can hide a
 * later one. */
static void redact_json_text(struct buf *out, const char *body, size_t len)
{
    buf_reserve(out, len);
    unsigned char *mark = xcalloc(len + 1, 1);
    for (const char *q = body; (q = memchr(q, '"', len - (size_t)(q - body))) != NULL; q++) {
        size_t key = (size_t)(q - body) + 1, key_end = key;
        while (key_end < len && body[key_end] != '"')
            key_end++;
        size_t j = key_end + 1;
        while (j < len && isspace((unsigned char)body[j]))
            j++;
        if (j >= len || body[j] != ':')
            continue;
        j++;
        while (j < len && isspace((unsigned char)body[j]))
            j++;
        if (j >= len || body[j] != '"' || !secret_name(body + key, key_end - key))
            continue;
        size_t v = json_string_end(body, len, j);
        memset(mark + j + 1, 1, v - (j + 1));
    }
    for (size_t i = 0; i < len; i++) {
        if (!mark[i]) {
            buf_putc(out, body[i]);
        } else if (i == 0 || !mark[i - 1]) {
            buf_puts(out, REDACTED);
        }
    }
    free(mark);
}

char *aws_redact_text(const char *body, size_t len, size_t *out_len)
{
    char *xml = aws_redact_xml(body ? body : "", len, out_len);
    struct buf out = BUF_INIT;
    redact_json_text(&out, xml, *out_len);
    free(xml);
    *out_len = out.len;
    return buf_steal(&out);
}

char *aws_redact_json(const char *body, size_t len)
{
    cJSON *doc =
        len ? json_parse_limited(body, len, json_tree_budget_for(len), NULL, 0, NULL) : NULL;
    if (!doc) {
        /* Not JSON, or cut short: still no credential field shows. */
        struct buf out = BUF_INIT;
        redact_json_text(&out, body ? body : "", len);
        return buf_steal(&out);
    }
    redact_json_node(doc);
    char *s = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    char *copy = xstrdup(s ? s : "");
    cJSON_free(s);
    return copy;
}
