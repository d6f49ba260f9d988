/* A small read-only DOM built with expat, enough to walk AWS Query responses. */
#ifndef ECSR_AWS_XML_H
#define ECSR_AWS_XML_H

#include <stddef.h>

#include "util/err.h"

struct xml_node {
    char *name; /* local name, namespace prefix dropped */
    char *text; /* concatenated character data, "" when none */
    struct xml_node *parent;
    struct xml_node *child; /* first child */
    struct xml_node *next;  /* next sibling */
};

/* What xml_parse lets a tree take. */
#define XML_DEFAULT_MAX_TREE_BYTES (32u * 1024u * 1024u)
/* What the tree of an XML answer may take, per byte of text: AWS's answers
 * make trees of two to four times their size, "<a/><a/>..." over twenty. */
#define XML_TREE_BYTES_PER_BODY_BYTE 4u

/* Parses a whole document. On malformed or truncated input returns -1 with
 * ERR_PROTOCOL and expat's reason and position; also when the tree would
 * take more than max_tree_bytes of memory (malloc's overhead counted), since
 * a small document of many tiny elements makes a tree many times its
 * size. */
int xml_parse_limited(const char *data, size_t len, size_t max_tree_bytes, struct xml_node **root,
                      struct err *err);
/* xml_parse_limited with XML_DEFAULT_MAX_TREE_BYTES. */
int xml_parse(const char *data, size_t len, struct xml_node **root, struct err *err);
void xml_free(struct xml_node *root);

/* First child with that name, or NULL. */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* Descend along "A/B/C" (first match at each step), or NULL. */
const struct xml_node *xml_path(const struct xml_node *n, const char *path);
/* Text at a path, or NULL when the element is absent. */
const char *xml_text(const struct xml_node *n, const char *path);
/* Next sibling after `n` with the same name, or NULL: for "member" lists. */
const struct xml_node *xml_next_same(const struct xml_node *n);

#endif
