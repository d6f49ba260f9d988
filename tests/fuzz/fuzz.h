/* Shared pieces of the libFuzzer targets (tests/fuzz/fuzz_*.c, linked with support.c): a reader
 * that splits the fuzzer's bytes into fields, and property checks that abort with a message
 * (libFuzzer then saves the input as a crash). */
#ifndef ECSR_FUZZ_H
#define ECSR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property of the code under test failed: print it and abort. */
void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
    } while (0)

/* Cursor over the input. Every take_* is total: past the end it yields
 * zeros or empty strings, so any input decodes to some case. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

uint8_t fuzz_byte(struct fuzz_in *in);
/* Up to the next '\n' (excluded) or the end; a new NUL-terminated string. */
char *fuzz_line(struct fuzz_in *in);
/* Everything left, as a new NUL-terminated buffer (may hold NULs). */
char *fuzz_rest(struct fuzz_in *in, size_t *len);

/* A new NUL-terminated copy of n bytes. */
char *fuzz_dup(const void *p, size_t n);
/* Whether the n bytes at `needle` occur in hay[0..hay_len). */
int fuzz_contains(const char *hay, size_t hay_len, const char *needle, size_t n);

/* Silences the helper's log (some parsers warn) and sets the level used. */
void fuzz_quiet_log(void);

#endif
