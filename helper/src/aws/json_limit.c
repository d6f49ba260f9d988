/* cJSON allocates through hooks shared by every thread; the budget of the
 * parse under way on a thread is thread-local, so parses on the fan-out's
 * threads each count their own. Outside json_parse_limited the hooks are
 * plain malloc and free. */
#include "aws/json_limit.h"

#include <pthread.h>
#include <stdlib.h>

/* What malloc spends besides the bytes asked for (glibc: 8 to 16). */
#define ALLOC_OVERHEAD 16u

static _Thread_local int budget_active;
static _Thread_local size_t budget_left;
static _Thread_local int budget_exceeded;

static void *counting_malloc(size_t n)
{
    if (budget_active) {
        size_t cost = n + ALLOC_OVERHEAD;
        if (cost > budget_left) {
            budget_exceeded = 1;
            return NULL; /* cJSON gives up and frees what it built */
        }
        budget_left -= cost;
    }
    return malloc(n);
}

static void counting_free(void *p)
{
    free(p);
}

static void install_hooks(void)
{
    cJSON_Hooks hooks = {counting_malloc, counting_free};
    cJSON_InitHooks(&hooks);
}

void json_limit_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_hooks);
}

cJSON *json_parse_limited(const char *text, size_t len, size_t max_tree_bytes,
                          const char **parse_end, int require_null_terminated, int *too_big)
{
    json_limit_init();
    budget_active = 1;
    budget_left = max_tree_bytes;
    budget_exceeded = 0;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len, parse_end, require_null_terminated);
    budget_active = 0;
    if (too_big)
        *too_big = !doc && budget_exceeded;
    return doc;
}
