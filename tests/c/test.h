/* A small unit-test harness. Each tests/c/test_*.c file becomes one program;
 * TEST() bodies register themselves and harness.c's main runs them, printing
 * one "PASS name" or "FAIL name: where: what" line per test for tests/run. */
#ifndef ECSR_TEST_H
#define ECSR_TEST_H

#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);

void test_register(const char *name, test_fn fn);
/* Record a failure of the running test (first one wins). */
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int test_failed(void);
/* The directory given by TEST_DATA_DIR or a fallback, for fixtures. */
const char *test_env(const char *name, const char *fallback);

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void register_##name(void)                                 \
    {                                                                                              \
        test_register(#name, name);                                                                \
    }                                                                                              \
    static void name(void)

/* Checks stop the running test at the first failure. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        if (check_a_ != check_b_) {                                                                \
            test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, check_a_, #b,     \
                      check_b_);                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                                               \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                           \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,                     \
                      check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");             \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *check_h_ = (hay), *check_n_ = (needle);                                        \
        if (!check_h_ || !strstr(check_h_, check_n_)) {                                            \
            test_fail(__FILE__, __LINE__, "%s == \"%s\" does not contain \"%s\"", #hay,            \
                      check_h_ ? check_h_ : "(null)", check_n_);                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
