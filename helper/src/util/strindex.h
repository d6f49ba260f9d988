/* An index of strings kept elsewhere (open addressing, FNV-1a): maps a key
 * to the position of the element holding it, so that looking members,
 * container instances and drains up by id costs O(1) instead of a scan of
 * thousands at a thousand instances (issue 16). The index stores positions
 * only; `key(v, i)` gives element i's key (NULL: not indexed). */
#ifndef ECSR_STRINDEX_H
#define ECSR_STRINDEX_H

#include <stddef.h>

typedef const char *(*str_index_key)(const void *v, size_t i);

struct str_index {
    size_t *slots; /* position + 1; 0: empty */
    size_t mask;
    size_t used;
};

/* Indexes elements [0, n) of v; a key seen twice keeps its first position. */
void str_index_build(struct str_index *ix, size_t n, str_index_key key, const void *v);
/* Adds element i (positions may be added in any order). */
void str_index_add(struct str_index *ix, size_t i, str_index_key key, const void *v);
/* The position of k, or -1. */
long str_index_find(const struct str_index *ix, const char *k, str_index_key key, const void *v);
void str_index_free(struct str_index *ix);

/* Key functions for the common containers. */
const char *str_index_strv_key(const void *strv, size_t i);

#endif
