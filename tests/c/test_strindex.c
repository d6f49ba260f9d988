/* util/strindex: the index the observer and the assessment look thousands
 * of members up with. */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "util/strindex.h"
#include "util/strv.h"

TEST(finds_every_key_added_and_only_those)
{
    struct strv v = STRV_INIT;
    struct str_index ix;
    str_index_build(&ix, 0, str_index_strv_key, &v);
    CHECK_INT(str_index_find(&ix, "i-0", str_index_strv_key, &v), -1);
    for (int i = 0; i < 3000; i++) {
        strv_pushf(&v, "i-%08x", (unsigned)i * 2654435761u);
        str_index_add(&ix, v.n - 1, str_index_strv_key, &v); /* grows as it goes */
    }
    for (int i = 0; i < 3000; i++) {
        char k[32];
        snprintf(k, sizeof(k), "i-%08x", (unsigned)i * 2654435761u);
        CHECK_INT(str_index_find(&ix, k, str_index_strv_key, &v), i);
    }
    CHECK_INT(str_index_find(&ix, "i-missing", str_index_strv_key, &v), -1);
    CHECK_INT(str_index_find(&ix, NULL, str_index_strv_key, &v), -1);
    str_index_free(&ix);
    strv_free(&v);
}

TEST(a_key_present_twice_maps_to_its_first_position)
{
    struct strv v = STRV_INIT;
    const char *keys[] = {"a", "b", "a", "c", "b"};
    for (size_t i = 0; i < 5; i++)
        strv_push(&v, keys[i]);
    struct str_index ix;
    str_index_build(&ix, v.n, str_index_strv_key, &v);
    CHECK_INT(str_index_find(&ix, "a", str_index_strv_key, &v), 0);
    CHECK_INT(str_index_find(&ix, "b", str_index_strv_key, &v), 1);
    CHECK_INT(str_index_find(&ix, "c", str_index_strv_key, &v), 3);
    str_index_add(&ix, 4, str_index_strv_key, &v);
    CHECK_INT(str_index_find(&ix, "b", str_index_strv_key, &v), 1);
    str_index_free(&ix);
    strv_free(&v);
}
