#include "util/strindex.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strv.h"

static size_t hash_str(const char *s)
{
    size_t h = (size_t)1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
    return h;
}

static void insert(struct str_index *ix, size_t i, const char *k)
{
    size_t h = hash_str(k) & ix->mask;
    while (ix->slots[h])
        h = (h + 1) & ix->mask;
    ix->slots[h] = i + 1;
    ix->used++;
}

/* Room for `want` keys at a load of at most one half. */
static void reserve(struct str_index *ix, size_t want, str_index_key key, const void *v)
{
    if (ix->slots && 2 * want < ix->mask + 1)
        return;
    size_t cap = 16;
    while (cap < 2 * want + 1)
        cap *= 2;
    size_t *old = ix->slots, old_cap = ix->slots ? ix->mask + 1 : 0;
    ix->slots = xcalloc(cap, sizeof(*ix->slots));
    ix->mask = cap - 1;
    ix->used = 0;
    for (size_t s = 0; s < old_cap; s++)
        if (old[s])
            insert(ix, old[s] - 1, key(v, old[s] - 1));
    free(old);
}

void str_index_build(struct str_index *ix, size_t n, str_index_key key, const void *v)
{
    memset(ix, 0, sizeof(*ix));
    reserve(ix, n, key, v);
    for (size_t i = 0; i < n; i++)
        str_index_add(ix, i, key, v);
}

void str_index_add(struct str_index *ix, size_t i, str_index_key key, const void *v)
{
    const char *k = key(v, i);
    if (!k || str_index_find(ix, k, key, v) >= 0)
        return;
    reserve(ix, ix->used + 1, key, v);
    insert(ix, i, k);
}

long str_index_find(const struct str_index *ix, const char *k, str_index_key key, const void *v)
{
    if (!ix->slots || !k)
        return -1;
    for (size_t h = hash_str(k) & ix->mask; ix->slots[h]; h = (h + 1) & ix->mask) {
        const char *x = key(v, ix->slots[h] - 1);
        if (x && strcmp(x, k) == 0)
            return (long)(ix->slots[h] - 1);
    }
    return -1;
}

void str_index_free(struct str_index *ix)
{
    free(ix->slots);
    memset(ix, 0, sizeof(*ix));
}

const char *str_index_strv_key(const void *strv, size_t i)
{
    return ((const struct strv *)strv)->v[i];
}
