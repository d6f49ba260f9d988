#include "svc_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/buf.h"
#include "util/mem.h"

char *svc_fixture_read(const char *name, size_t *len)
{
    /* tests/run starts programs in the repository root and sets REPO_ROOT. */
    struct buf path = BUF_INIT;
    buf_printf(&path, "%s/tests/c/fixtures/svc/%s", test_env("REPO_ROOT", "."), name);
    FILE *f = fopen(buf_cstr(&path), "rb");
    if (!f) {
        test_fail(__FILE__, __LINE__,
                  "cannot open fixture %s (run from the repository root "
                  "or set REPO_ROOT)",
                  buf_cstr(&path));
        buf_free(&path);
        return NULL;
    }
    struct buf data = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&data, chunk, n);
    fclose(f);
    buf_free(&path);
    if (len)
        *len = data.len;
    buf_putc(&data, '\0');
    return buf_steal(&data);
}

struct xml_node *svc_fixture_xml(const char *name)
{
    size_t len;
    char *data = svc_fixture_read(name, &len);
    if (!data)
        return NULL;
    struct xml_node *root = NULL;
    struct err err;
    if (xml_parse(data, len, &root, &err) < 0) {
        test_fail(__FILE__, __LINE__, "fixture %s: %s", name, err.message);
        root = NULL;
    }
    free(data);
    return root;
}

cJSON *svc_fixture_json(const char *name)
{
    size_t len;
    char *data = svc_fixture_read(name, &len);
    if (!data)
        return NULL;
    cJSON *doc = cJSON_ParseWithLength(data, len);
    if (!doc)
        test_fail(__FILE__, __LINE__, "fixture %s is not valid JSON", name);
    free(data);
    return doc;
}

long svc_sweep_rejected;

/* 0 when the parser's answer is acceptable for a mutated response. */
static int check_outcome(int rc, const struct err *err, const char *call, const char *variant)
{
    if (rc == 0)
        return 0;
    svc_sweep_rejected++;
    if (rc != -1 || err->kind != ERR_PROTOCOL) {
        test_fail(__FILE__, __LINE__,
                  "%s: returned %d with a %s error (\"%s\"), expected 0 or "
                  "a protocol error",
                  variant, rc, err_kind_name(err->kind), err->message);
        return -1;
    }
    if (strncmp(err->message, call, strlen(call)) != 0 || !strstr(err->message, "malformed")) {
        test_fail(__FILE__, __LINE__, "%s: message \"%s\" does not name the call %s", variant,
                  err->message, call);
        return -1;
    }
    return 0;
}

static void collect_xml(struct xml_node *n, struct xml_node ***v, size_t *count, size_t *cap)
{
    for (struct xml_node *c = n->child; c; c = c->next) {
        *v = xgrow(*v, cap, *count + 1, sizeof(**v));
        (*v)[(*count)++] = c;
        collect_xml(c, v, count, cap);
    }
}

long svc_sweep_xml(const char *fixture, const char *call, svc_xml_parse_fn parse)
{
    struct xml_node *root = svc_fixture_xml(fixture);
    if (!root)
        return -1;
    struct xml_node **nodes = NULL;
    size_t n = 0, cap = 0;
    svc_sweep_rejected = 0;
    collect_xml(root, &nodes, &n, &cap);
    long tried = 0;
    char variant[256];
    for (size_t i = 0; i < n; i++) {
        struct xml_node *node = nodes[i], *parent = node->parent, *prev = NULL;
        for (struct xml_node *c = parent->child; c != node; c = c->next)
            prev = c;
        if (prev)
            prev->next = node->next;
        else
            parent->child = node->next;
        struct err err;
        err_clear(&err);
        int rc = parse(root, &err);
        if (prev)
            prev->next = node;
        else
            parent->child = node;
        snprintf(variant, sizeof(variant), "%s without <%s> (element %zu)", fixture, node->name, i);
        tried++;
        if (check_outcome(rc, &err, call, variant) < 0)
            goto fail;
    }
    static const char *const wrong[] = {"", "x", "-1", "99999999999999999999", "true", " 7 "};
    for (size_t i = 0; i < n; i++) {
        struct xml_node *node = nodes[i];
        if (node->child)
            continue;
        char *saved = node->text;
        for (size_t w = 0; w < sizeof(wrong) / sizeof(wrong[0]); w++) {
            node->text = (char *)wrong[w];
            struct err err;
            err_clear(&err);
            int rc = parse(root, &err);
            node->text = saved;
            snprintf(variant, sizeof(variant), "%s with <%s>%s</%s> (element %zu)", fixture,
                     node->name, wrong[w], node->name, i);
            tried++;
            if (check_outcome(rc, &err, call, variant) < 0)
                goto fail;
        }
    }
    free(nodes);
    xml_free(root);
    return tried;
fail:
    free(nodes);
    xml_free(root);
    return -1;
}

/* The k-th value of the document in pre-order (root excluded), with its parent. */
static cJSON *nth_json(cJSON *n, size_t *k, cJSON **parent)
{
    cJSON *c;
    cJSON_ArrayForEach(c, n)
    {
        if ((*k)-- == 0) {
            *parent = n;
            return c;
        }
        cJSON *found = nth_json(c, k, parent);
        if (found)
            return found;
    }
    return NULL;
}

static cJSON *wrong_json(int w)
{
    switch (w) {
    case 0:
        return cJSON_CreateNumber(1.5);
    case 1:
        return cJSON_CreateString("x");
    case 2:
        return cJSON_CreateTrue();
    case 3:
        return cJSON_CreateNull();
    case 4:
        return cJSON_CreateObject();
    case 5:
        return cJSON_CreateArray();
    default:
        return cJSON_CreateNumber(1e300);
    }
}

#define N_WRONG_JSON 7

long svc_sweep_json(const char *fixture, const char *call, svc_json_parse_fn parse)
{
    cJSON *doc = svc_fixture_json(fixture);
    if (!doc)
        return -1;
    long tried = 0;
    char variant[256];
    svc_sweep_rejected = 0;
    for (size_t k = 0;; k++) {
        int done = 0;
        /* w == -1: remove the value; otherwise replace it. */
        for (int w = -1; w < N_WRONG_JSON; w++) {
            cJSON *copy = cJSON_Duplicate(doc, 1);
            cJSON *parent = NULL;
            size_t idx = k;
            cJSON *item = nth_json(copy, &idx, &parent);
            if (!item) {
                cJSON_Delete(copy);
                done = 1;
                break;
            }
            snprintf(variant, sizeof(variant), "%s value %zu (%s) %s %d", fixture, k,
                     item->string ? item->string : "array element",
                     w < 0 ? "removed" : "replaced by wrong value", w);
            if (w < 0) {
                cJSON_Delete(cJSON_DetachItemViaPointer(parent, item));
            } else if (cJSON_IsObject(parent)) {
                char *key = xstrdup(item->string);
                cJSON_ReplaceItemInObjectCaseSensitive(parent, key, wrong_json(w));
                free(key);
            } else {
                cJSON_ReplaceItemViaPointer(parent, item, wrong_json(w));
            }
            struct err err;
            err_clear(&err);
            int rc = parse(copy, &err);
            cJSON_Delete(copy);
            tried++;
            if (check_outcome(rc, &err, call, variant) < 0) {
                cJSON_Delete(doc);
                return -1;
            }
        }
        if (done)
            break;
    }
    cJSON_Delete(doc);
    return tried;
}
