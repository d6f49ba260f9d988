/* The expat DOM (aws/xml.c) on arbitrary bytes: every Query answer and
 * Query error goes through it. Properties: a failure leaves no tree and a
 * protocol error; a success is a consistent tree (names and texts set,
 * parent links right, depth bounded) and the lookup helpers agree with a
 * plain walk of it. */
#include <stdlib.h>
#include <string.h>

#include "aws/xml.h"
#include "fuzz.h"

#define MAX_DEPTH 256 /* xml.c's bound */

static void check_children(const struct xml_node *n)
{
    /* xml_child finds the first child of each name; xml_next_same then
     * visits exactly the children of that name, in document order. */
    for (const struct xml_node *c = n->child; c; c = c->next) {
        FUZZ_CHECK(c->parent == n, "child <%s> of <%s> has the wrong parent", c->name, n->name);
        const struct xml_node *first = xml_child(n, c->name);
        FUZZ_CHECK(first, "xml_child(<%s>, %s) found nothing", n->name, c->name);
        const struct xml_node *walk = first;
        for (const struct xml_node *s = first; s; s = s->next) {
            if (strcmp(s->name, c->name) != 0)
                continue;
            FUZZ_CHECK(walk == s, "xml_next_same skipped or invented a <%s>", c->name);
            walk = xml_next_same(walk);
        }
        FUZZ_CHECK(walk == NULL, "xml_next_same went past the last <%s>", c->name);
        if (!strchr(c->name, '/'))
            FUZZ_CHECK(xml_path(n, c->name) == first, "xml_path(%s) != xml_child", c->name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xml_node *root = (struct xml_node *)1;
    struct err e;
    err_clear(&e);
    if (xml_parse((const char *)data, size, &root, &e) != 0) {
        FUZZ_CHECK(root == NULL, "failed parse left a tree");
        FUZZ_CHECK(e.kind == ERR_PROTOCOL, "failed parse: kind %d", (int)e.kind);
        FUZZ_CHECK(memchr(e.message, 0, sizeof(e.message)) && e.message[0],
                   "failed parse: empty or unterminated message");
        return 0;
    }
    FUZZ_CHECK(root && !root->parent && !root->next, "bad root");
    FUZZ_CHECK(xml_text(root, "") == root->text && xml_text(root, NULL) == root->text,
               "xml_text(root, \"\") is not the root's text");

    /* Iterative pre-order walk with depth tracking. */
    const struct xml_node *n = root;
    int depth = 1;
    size_t nodes = 0;
    while (n) {
        nodes++;
        FUZZ_CHECK(n->name && n->name[0], "element without a name");
        FUZZ_CHECK(!strchr(n->name, '\x01'), "namespace separator left in <%s>", n->name);
        FUZZ_CHECK(n->text, "<%s> has NULL text", n->name);
        FUZZ_CHECK(depth <= MAX_DEPTH, "depth %d beyond the bound", depth);
        check_children(n);
        /* xml_path along the first-child chain reaches the same node. */
        if (n->child && n->child->child && !strchr(n->child->name, '/') &&
            !strchr(n->child->child->name, '/') && xml_child(n, n->child->name) == n->child &&
            xml_child(n->child, n->child->child->name) == n->child->child) {
            size_t plen = strlen(n->child->name) + strlen(n->child->child->name) + 2;
            char *path = malloc(plen);
            strcpy(path, n->child->name);
            strcat(path, "/");
            strcat(path, n->child->child->name);
            FUZZ_CHECK(xml_path(n, path) == n->child->child, "xml_path(%s) went astray", path);
            free(path);
        }
        if (n->child) {
            n = n->child;
            depth++;
            continue;
        }
        while (n && !n->next) {
            n = n->parent;
            depth--;
        }
        if (n)
            n = n->next;
    }
    FUZZ_CHECK(nodes > 0, "no nodes");
    xml_free(root);
    return 0;
}
