#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

struct test_case {
    const char *name;
    test_fn fn;
};

static struct test_case cases[512];
static size_t n_cases;
static char failure[2048];
static int failed;

void test_register(const char *name, test_fn fn)
{
    if (n_cases == sizeof(cases) / sizeof(cases[0])) {
        fprintf(stderr, "harness: too many tests\n");
        exit(2);
    }
    cases[n_cases].name = name;
    cases[n_cases].fn = fn;
    n_cases++;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    if (failed)
        return;
    failed = 1;
    int n = snprintf(failure, sizeof(failure), "%s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(failure + n, sizeof(failure) - (size_t)n, fmt, ap);
    va_end(ap);
}

int test_failed(void)
{
    return failed;
}

const char *test_env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static const char *suite_name(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    return slash ? slash + 1 : argv0;
}

int main(int argc, char **argv)
{
    const char *suite = suite_name(argv[0]);
    const char *only = argc > 1 ? argv[1] : NULL;
    int n_failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n_cases; i++) {
        if (only && strcmp(only, cases[i].name) != 0)
            continue;
        failed = 0;
        failure[0] = '\0';
        cases[i].fn();
        if (failed) {
            printf("FAIL %s/%s: %s\n", suite, cases[i].name, failure);
            n_failed++;
        } else {
            printf("PASS %s/%s\n", suite, cases[i].name);
        }
    }
    return n_failed ? 1 : 0;
}
