/* A read-only DOM over expat, for AWS Query responses. Namespaces are
 * processed so that names are local names whatever prefix a server uses.
 * Documents with a DOCTYPE are refused (AWS never sends one, and refusing
 * it removes entity tricks), and nesting and the tree's size are bounded. */
#include "aws/xml.h"

#include <expat.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

#define MAX_DEPTH 256
#define NS_SEP '\x01'
/* What malloc spends besides the bytes asked for (glibc: 8 to 16). */
#define ALLOC_OVERHEAD 16u
/* Fed to expat in pieces: given all at once it would copy the whole
 * document into its own buffer first. */
#define FEED_BYTES (64u * 1024u)

/* The tree's nodes, names and texts live in chunks allocated one after
 * another (a small first one, then doubling up to CHUNK_MAX): a node and
 * its strings cost their bytes, not three allocations with malloc's
 * overhead each - the answer about a group of 2,000 instances made a tree
 * of 1.3 MB in 250,000 allocations (issue 16). Strings are packed (no
 * alignment), each element name is stored once per document (an answer
 * repeats a few dozen names thousands of times) and empty texts share one
 * "": that tree took 2.8 MB next to its 0.9 MB body at the helper's peak
 * of memory. The root node is the first thing in the first chunk, so
 * xml_free finds the chunks from it. */
struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[]; /* cap bytes */
};
#define CHUNK_FIRST 4096u
#define CHUNK_MAX (64u * 1024u)
/* Distinct element names kept per document; past that, names are copied. */
#define NAME_SLOTS 256u

/* Every empty text (containers' included): never written to. */
static char empty_text[1];

struct builder {
    XML_Parser parser;
    struct xml_node *root;
    struct xml_node *cur;         /* element being filled */
    struct xml_node **last_child; /* per depth: last child appended, for O(1) appends */
    struct buf *text;             /* per depth: character data */
    int depth;
    size_t budget_left; /* bytes the tree may still take */
    const char *fail;   /* our own reason to stop, when set */
    struct chunk *first, *last;
    char **names; /* NAME_SLOTS: open addressing over the names seen */
};

/* `size` bytes at an offset that is a multiple of `align` (a power of two). */
static void *tree_alloc(struct builder *b, size_t size, size_t align)
{
    struct chunk *c = b->last;
    size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;
    if (!c || at > c->cap || c->cap - at < size) {
        size_t cap = c ? (c->cap * 2 > CHUNK_MAX ? CHUNK_MAX : c->cap * 2) : CHUNK_FIRST;
        if (cap < size)
            cap = size;
        struct chunk *n = xmalloc(sizeof(*n) + cap);
        n->next = NULL;
        n->used = 0;
        n->cap = cap;
        if (c)
            c->next = n;
        else
            b->first = n;
        b->last = c = n;
        at = 0;
    }
    void *p = (char *)c->data + at;
    c->used = at + size;
    return p;
}

static char *tree_strdup(struct builder *b, const char *s, size_t len)
{
    if (len == 0)
        return empty_text;
    char *p = tree_alloc(b, len + 1, 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* The document's copy of an element name, made at its first use. */
static char *tree_name(struct builder *b, const char *s)
{
    size_t len = strlen(s);
    size_t h = 5381;
    for (size_t i = 0; i < len; i++)
        h = h * 33 + (unsigned char)s[i];
    for (size_t probe = 0; probe < NAME_SLOTS; probe++) {
        char **slot = &b->names[(h + probe) % NAME_SLOTS];
        if (!*slot) {
            *slot = tree_strdup(b, s, len);
            return *slot;
        }
        if (strcmp(*slot, s) == 0)
            return *slot;
    }
    return tree_strdup(b, s, len);
}

void xml_free(struct xml_node *root)
{
    if (!root)
        return;
    struct chunk *c = (struct chunk *)(void *)((char *)root - offsetof(struct chunk, data));
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
}

static void stop(struct builder *b, const char *why)
{
    if (!b->fail)
        b->fail = why;
    XML_StopParser(b->parser, XML_FALSE);
}

/* Takes `bytes` from the tree's budget; 0 when it is spent (parsing stops). */
static int spend(struct builder *b, size_t bytes)
{
    if (bytes > b->budget_left) {
        stop(b, "the document would take too much memory once parsed (too many elements or too "
                "much text for an AWS answer)");
        return 0;
    }
    b->budget_left -= bytes;
    return 1;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    struct builder *b = ud;
    if (b->fail)
        return;
    if (b->depth >= MAX_DEPTH) {
        stop(b, "elements nested too deeply");
        return;
    }
    if (!b->cur && b->root) {
        stop(b, "more than one root element");
        return;
    }
    const char *local = strrchr(name, NS_SEP);
    local = local ? local + 1 : name;
    /* The node, its name and (at its end) its text. */
    if (!spend(b, sizeof(struct xml_node) + strlen(local) + 1 + 3 * ALLOC_OVERHEAD))
        return;
    struct xml_node *n = tree_alloc(b, sizeof(*n), _Alignof(struct xml_node));
    memset(n, 0, sizeof(*n));
    n->name = tree_name(b, local);
    n->parent = b->cur;
    if (!b->cur) {
        b->root = n;
    } else {
        struct xml_node **last = &b->last_child[b->depth - 1];
        if (*last)
            (*last)->next = n;
        else
            b->cur->child = n;
        *last = n;
    }
    b->cur = n;
    b->last_child[b->depth] = NULL;
    buf_reset(&b->text[b->depth]);
    b->depth++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    (void)name;
    struct builder *b = ud;
    /* After a stop expat may still report an end (of an element whose
     * start was refused): the tree is being thrown away. */
    if (!b->cur || b->fail)
        return;
    b->depth--;
    struct buf *t = &b->text[b->depth];
    /* Containers keep no text: the whitespace between their children means
     * nothing. */
    int blank = 1;
    for (size_t i = 0; i < t->len && blank; i++)
        blank = t->data[i] == ' ' || t->data[i] == '\t' || t->data[i] == '\r' || t->data[i] == '\n';
    b->cur->text =
        (b->cur->child && blank) ? empty_text : tree_strdup(b, t->data ? t->data : "", t->len);
    buf_reset(t);
    b->cur = b->cur->parent;
}

static void XMLCALL on_chars(void *ud, const XML_Char *s, int len)
{
    struct builder *b = ud;
    /* Held twice: while gathered, and as the node's text. */
    if (b->cur && !b->fail && len > 0 && spend(b, 2 * (size_t)len))
        buf_append(&b->text[b->depth - 1], s, (size_t)len);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    stop(ud, "a DOCTYPE declaration (not allowed in AWS responses)");
}

int xml_parse(const char *data, size_t len, struct xml_node **root, struct err *err)
{
    return xml_parse_limited(data, len, XML_DEFAULT_MAX_TREE_BYTES, root, err);
}

int xml_parse_limited(const char *data, size_t len, size_t max_tree_bytes, struct xml_node **root,
                      struct err *err)
{
    *root = NULL;
    struct builder b;
    memset(&b, 0, sizeof(b));
    b.budget_left = max_tree_bytes;
    b.parser = XML_ParserCreateNS(NULL, NS_SEP);
    if (!b.parser)
        return err_set(err, ERR_INTERNAL, "cannot create an XML parser");
    b.last_child = xcalloc(MAX_DEPTH, sizeof(*b.last_child));
    b.text = xcalloc(MAX_DEPTH, sizeof(*b.text));
    b.names = xcalloc(NAME_SLOTS, sizeof(*b.names));
    XML_SetUserData(b.parser, &b);
    XML_SetElementHandler(b.parser, on_start, on_end);
    XML_SetCharacterDataHandler(b.parser, on_chars);
    XML_SetStartDoctypeDeclHandler(b.parser, on_doctype);

    int rc = 0;
    enum XML_Status st = XML_STATUS_OK;
    size_t off = 0;
    do {
        size_t piece = len - off < FEED_BYTES ? len - off : FEED_BYTES;
        int last = off + piece == len;
        st = XML_Parse(b.parser, data ? data + off : "", (int)piece, last ? XML_TRUE : XML_FALSE);
        off += piece;
    } while (st == XML_STATUS_OK && !b.fail && off < len);
    if (st != XML_STATUS_OK || b.fail || !b.root || b.cur) {
        unsigned long line = XML_GetCurrentLineNumber(b.parser);
        unsigned long col = XML_GetCurrentColumnNumber(b.parser);
        const char *why = b.fail                ? b.fail
                          : st != XML_STATUS_OK ? XML_ErrorString(XML_GetErrorCode(b.parser))
                                                : "no root element";
        err_set(err, ERR_PROTOCOL, "malformed XML at line %lu, column %lu: %s", line, col + 1, why);
        xml_free(b.root);
        rc = -1;
    } else {
        *root = b.root;
    }
    for (int i = 0; i < MAX_DEPTH; i++)
        buf_free(&b.text[i]);
    free(b.text);
    free(b.names);
    free(b.last_child);
    XML_ParserFree(b.parser);
    return rc;
}

const struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
    if (!n)
        return NULL;
    for (const struct xml_node *c = n->child; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const struct xml_node *xml_path(const struct xml_node *n, const char *path)
{
    const char *p = path;
    while (n && p && *p) {
        size_t len = strcspn(p, "/");
        const struct xml_node *found = NULL;
        for (const struct xml_node *c = n->child; c && !found; c = c->next)
            if (strlen(c->name) == len && memcmp(c->name, p, len) == 0)
                found = c;
        n = found;
        p += len;
        if (*p == '/')
            p++;
    }
    return n;
}

const char *xml_text(const struct xml_node *n, const char *path)
{
    const struct xml_node *x = path && *path ? xml_path(n, path) : n;
    return x ? x->text : NULL;
}

const struct xml_node *xml_next_same(const struct xml_node *n)
{
    if (!n)
        return NULL;
    for (const struct xml_node *s = n->next; s; s = s->next)
        if (strcmp(s->name, n->name) == 0)
            return s;
    return NULL;
}
