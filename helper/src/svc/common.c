#include "svc/common.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "util/buf.h"
#include "util/mem.h"

void svc_parse_init(struct svc_parse *p, const char *call, struct err *err)
{
    p->call = call;
    p->path[0] = '\0';
    p->err = err;
}

static size_t path_append(struct svc_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t path_append(struct svc_parse *p, const char *fmt, ...)
{
    size_t old = strlen(p->path);
    va_list ap;
    va_start(ap, fmt);
    /* Truncation only shortens a message. */
    vsnprintf(p->path + old, sizeof(p->path) - old, fmt, ap);
    va_end(ap);
    return old;
}

size_t svc_parse_push(struct svc_parse *p, const char *name)
{
    return path_append(p, "%s%s", p->path[0] ? "." : "", name);
}

size_t svc_parse_push_index(struct svc_parse *p, size_t index)
{
    return path_append(p, "[%zu]", index);
}

void svc_parse_pop(struct svc_parse *p, size_t old_len)
{
    if (old_len < sizeof(p->path))
        p->path[old_len] = '\0';
}

int svc_parse_fail(struct svc_parse *p, const char *field, const char *fmt, ...)
{
    struct buf what = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&what, fmt, ap);
    va_end(ap);
    const char *dot = p->path[0] && field ? "." : "";
    const char *sep = p->path[0] || field ? " " : "";
    err_set(p->err, ERR_PROTOCOL, "%s: malformed response: %s%s%s%s%s", p->call, p->path, dot,
            field ? field : "", sep, buf_cstr(&what));
    buf_free(&what);
    return -1;
}

/* A value quoted for a message: at most 40 bytes, control bytes replaced. */
static void quote_value(const char *s, char out[48])
{
    size_t n = 0;
    for (; s[n] && n < 40; n++)
        out[n] = isprint((unsigned char)s[n]) ? s[n] : '?';
    if (s[n]) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* Leaf text with surrounding whitespace removed, for numbers and booleans. */
static void trimmed(const char *s, const char **start, size_t *len)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    *start = s;
    *len = n;
}

/* ---- XML ---- */

static int xml_leaf(struct svc_parse *p, const struct xml_node *node, const char *name,
                    enum svc_field req, const struct xml_node **leaf)
{
    *leaf = node ? xml_child(node, name) : NULL;
    if (!*leaf && req == SVC_REQUIRED)
        return svc_parse_fail(p, name, "is missing");
    if (*leaf && (*leaf)->child)
        return svc_parse_fail(p, name, "is an element with children, expected a value");
    return 0;
}

int svc_xml_str(struct svc_parse *p, const struct xml_node *node, const char *name,
                enum svc_field req, char **out)
{
    const struct xml_node *leaf;
    *out = NULL;
    if (xml_leaf(p, node, name, req, &leaf) < 0)
        return -1;
    if (!leaf)
        return 0;
    const char *text = leaf->text ? leaf->text : "";
    if (req == SVC_REQUIRED && !*text)
        return svc_parse_fail(p, name, "is empty");
    *out = xstrdup(text);
    return 0;
}

static int parse_integer(struct svc_parse *p, const char *field, const char *text, long long min,
                         long long max, long long *out)
{
    const char *s;
    size_t n;
    trimmed(text, &s, &n);
    char q[48];
    quote_value(text, q);
    if (n == 0 || n > 20)
        return svc_parse_fail(p, field, "\"%s\" is not an integer", q);
    char digits[24];
    memcpy(digits, s, n);
    digits[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(digits, &end, 10);
    if (*end || errno)
        return svc_parse_fail(p, field, "\"%s\" is not an integer", q);
    if (v < min || v > max)
        return svc_parse_fail(p, field, "%lld is out of range", v);
    *out = v;
    return 0;
}

int svc_xml_int(struct svc_parse *p, const struct xml_node *node, const char *name,
                enum svc_field req, int *out)
{
    const struct xml_node *leaf;
    if (xml_leaf(p, node, name, req, &leaf) < 0)
        return -1;
    if (!leaf)
        return 0;
    long long v;
    if (parse_integer(p, name, leaf->text ? leaf->text : "", INT_MIN, INT_MAX, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

int svc_xml_long(struct svc_parse *p, const struct xml_node *node, const char *name,
                 enum svc_field req, long *out)
{
    const struct xml_node *leaf;
    if (xml_leaf(p, node, name, req, &leaf) < 0)
        return -1;
    if (!leaf)
        return 0;
    long long v;
    if (parse_integer(p, name, leaf->text ? leaf->text : "", LONG_MIN, LONG_MAX, &v) < 0)
        return -1;
    *out = (long)v;
    return 0;
}

int svc_xml_bool(struct svc_parse *p, const struct xml_node *node, const char *name,
                 enum svc_field req, int *out)
{
    const struct xml_node *leaf;
    if (xml_leaf(p, node, name, req, &leaf) < 0)
        return -1;
    if (!leaf)
        return 0;
    const char *s;
    size_t n;
    trimmed(leaf->text ? leaf->text : "", &s, &n);
    if (n == 4 && strncmp(s, "true", 4) == 0) {
        *out = 1;
    } else if (n == 5 && strncmp(s, "false", 5) == 0) {
        *out = 0;
    } else {
        char q[48];
        quote_value(leaf->text ? leaf->text : "", q);
        return svc_parse_fail(p, name, "\"%s\" is not a boolean", q);
    }
    return 0;
}

int svc_xml_list(struct svc_parse *p, const struct xml_node *node, const char *name,
                 enum svc_field req, const struct xml_node **list)
{
    *list = node ? xml_child(node, name) : NULL;
    if (!*list && req == SVC_REQUIRED)
        return svc_parse_fail(p, name, "is missing");
    return 0;
}

int svc_xml_strv(struct svc_parse *p, const struct xml_node *node, const char *name,
                 struct strv *out)
{
    const struct xml_node *list;
    if (svc_xml_list(p, node, name, SVC_OPTIONAL, &list) < 0)
        return -1;
    if (!list)
        return 0;
    size_t i = 0;
    for (const struct xml_node *m = xml_child(list, "member"); m; m = xml_next_same(m), i++) {
        if (m->child) {
            size_t old = svc_parse_push(p, name);
            svc_parse_push_index(p, i);
            svc_parse_fail(p, NULL, "is an element with children, expected a value");
            svc_parse_pop(p, old);
            return -1;
        }
        strv_push(out, m->text ? m->text : "");
    }
    return 0;
}

/* ---- JSON ---- */

static const cJSON *json_member(struct svc_parse *p, const cJSON *obj, const char *name,
                                enum svc_field req, int *failed)
{
    *failed = 0;
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
    if (v && cJSON_IsNull(v))
        v = NULL;
    if (!v && req == SVC_REQUIRED) {
        *failed = 1;
        svc_parse_fail(p, name, "is missing");
    }
    return v;
}

int svc_json_str(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                 char **out)
{
    int failed;
    *out = NULL;
    const cJSON *v = json_member(p, obj, name, req, &failed);
    if (failed)
        return -1;
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !v->valuestring)
        return svc_parse_fail(p, name, "is not a string");
    if (req == SVC_REQUIRED && !*v->valuestring)
        return svc_parse_fail(p, name, "is empty");
    *out = xstrdup(v->valuestring);
    return 0;
}

int svc_json_int(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                 int *out)
{
    int failed;
    const cJSON *v = json_member(p, obj, name, req, &failed);
    if (failed)
        return -1;
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v))
        return svc_parse_fail(p, name, "is not a number");
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d))
        return svc_parse_fail(p, name, "%g is not an integer", d);
    if (d < (double)INT_MIN || d > (double)INT_MAX)
        return svc_parse_fail(p, name, "%g is out of range", d);
    *out = (int)d;
    return 0;
}

int svc_json_bool(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                  int *out)
{
    int failed;
    const cJSON *v = json_member(p, obj, name, req, &failed);
    if (failed)
        return -1;
    if (!v)
        return 0;
    if (!cJSON_IsBool(v))
        return svc_parse_fail(p, name, "is not a boolean");
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return 0;
}

int svc_json_array(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                   const cJSON **arr)
{
    int failed;
    *arr = json_member(p, obj, name, req, &failed);
    if (failed)
        return -1;
    if (*arr && !cJSON_IsArray(*arr)) {
        *arr = NULL;
        return svc_parse_fail(p, name, "is not an array");
    }
    return 0;
}

int svc_json_object(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                    const cJSON **child)
{
    int failed;
    *child = json_member(p, obj, name, req, &failed);
    if (failed)
        return -1;
    if (*child && !cJSON_IsObject(*child)) {
        *child = NULL;
        return svc_parse_fail(p, name, "is not an object");
    }
    return 0;
}

int svc_json_strv(struct svc_parse *p, const cJSON *obj, const char *name, struct strv *out)
{
    const cJSON *arr;
    if (svc_json_array(p, obj, name, SVC_OPTIONAL, &arr) < 0)
        return -1;
    if (!arr)
        return 0;
    size_t i = 0;
    const cJSON *el;
    cJSON_ArrayForEach(el, arr)
    {
        if (!cJSON_IsString(el) || !el->valuestring) {
            size_t old = svc_parse_push(p, name);
            svc_parse_push_index(p, i);
            svc_parse_fail(p, NULL, "is not a string");
            svc_parse_pop(p, old);
            return -1;
        }
        strv_push(out, el->valuestring);
        i++;
    }
    return 0;
}

int svc_json_parse_items(struct svc_parse *p, const cJSON *arr, const char *name, size_t size,
                         svc_item_parse_fn parse, svc_item_free_fn free_one, void **page,
                         size_t *count)
{
    size_t total = (size_t)cJSON_GetArraySize(arr);
    char *items = total ? xcalloc(total, size) : NULL;
    *page = NULL;
    *count = 0;
    size_t old = svc_parse_push(p, name);
    size_t i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        size_t old_i = svc_parse_push_index(p, i);
        if (!cJSON_IsObject(o) ? svc_parse_fail(p, NULL, "is not an object") < 0
                               : parse(p, o, items + i * size) < 0) {
            for (size_t j = 0; j <= i; j++)
                free_one(items + j * size);
            free(items);
            return -1;
        }
        svc_parse_pop(p, old_i);
        i++;
    }
    svc_parse_pop(p, old);
    *page = items;
    *count = total;
    return 0;
}

void *svc_append(void *base, size_t *n, const void *items, size_t count, size_t size)
{
    if (!count)
        return base;
    base = xrealloc(base, (*n + count) * size);
    memcpy((char *)base + *n * size, items, count * size);
    *n += count;
    return base;
}

int svc_next_token_check(struct svc_parse *p, const char *token, const char *previous)
{
    if (token && previous && strcmp(token, previous) == 0)
        return svc_parse_fail(p, NULL,
                              "repeats the previous page's token: the service would page "
                              "forever");
    return 0;
}

void svc_err_progress(struct err *err, size_t done, size_t total, const char *what)
{
    if (!err || total == 0)
        return;
    size_t len = strlen(err->message);
    snprintf(err->message + len, sizeof(err->message) - len, " (%zu of %zu %s before this error)",
             done, total, what);
}

/* ---- JSON requests ---- */

static void json_oom(void)
{
    fprintf(stderr, "ecs-rollout: out of memory (building a JSON request)\n");
    abort();
}

cJSON *svc_json_new_object(void)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        json_oom();
    return obj;
}

void svc_json_add_str(cJSON *obj, const char *name, const char *value)
{
    if (!cJSON_AddStringToObject(obj, name, value))
        json_oom();
}

void svc_json_add_int(cJSON *obj, const char *name, int value)
{
    if (!cJSON_AddNumberToObject(obj, name, value))
        json_oom();
}

void svc_json_add_strings(cJSON *obj, const char *name, const char *const *v, size_t n)
{
    if (n > INT_MAX)
        json_oom();
    cJSON *arr = cJSON_CreateStringArray(v, (int)n);
    if (!arr || !cJSON_AddItemToObject(obj, name, arr)) {
        cJSON_Delete(arr);
        json_oom();
    }
}

int svc_query_pages(struct aws_client *c, const struct svc_query_pages *q,
                    const struct aws_params *params, struct err *err)
{
    char *token = NULL;
    for (;;) {
        struct aws_params page = AWS_PARAMS_INIT;
        for (size_t i = 0; i < params->keys.n; i++)
            aws_params_add(&page, params->keys.v[i], params->values.v[i]);
        if (token)
            aws_params_add(&page, "NextToken", token);
        struct xml_node *root = NULL;
        int rc = aws_query_call(c, q->service, q->action, q->version, &page, 0, &root, err);
        aws_params_free(&page);
        char *next = NULL;
        if (rc == 0)
            rc = q->parse(root, q->items, &next, err);
        xml_free(root);
        if (rc == 0) {
            struct svc_parse p;
            svc_parse_init(&p, q->action, err);
            svc_parse_push(&p, q->token_field);
            rc = svc_next_token_check(&p, next, token);
        }
        free(token);
        token = next;
        if (rc < 0) {
            free(token);
            return -1;
        }
        if (!token)
            return 0;
    }
}
