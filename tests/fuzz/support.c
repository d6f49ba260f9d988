/* Support linked into every fuzz target; see fuzz.h. */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\n==== property failed at %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

uint8_t fuzz_byte(struct fuzz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

char *fuzz_dup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

char *fuzz_line(struct fuzz_in *in)
{
    const uint8_t *nl = in->n ? memchr(in->p, '\n', in->n) : NULL;
    size_t len = nl ? (size_t)(nl - in->p) : in->n;
    char *s = fuzz_dup(in->p, len);
    size_t used = nl ? len + 1 : len;
    in->p += used;
    in->n -= used;
    return s;
}

char *fuzz_rest(struct fuzz_in *in, size_t *len)
{
    char *s = fuzz_dup(in->p, in->n);
    *len = in->n;
    in->p += in->n;
    in->n = 0;
    return s;
}

int fuzz_contains(const char *hay, size_t hay_len, const char *needle, size_t n)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

static void discard(enum log_level level, const char *line, void *ud)
{
    (void)level;
    (void)ud;
    /* Touch the line so that a bad one still trips the sanitizers. */
    volatile size_t n = strlen(line);
    (void)n;
}

void fuzz_quiet_log(void)
{
    log_set_sink(discard, NULL);
    log_set_level(LOG_TRACE);
}
