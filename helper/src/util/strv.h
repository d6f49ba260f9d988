/* A growable vector of owned C strings. */
#ifndef ECSR_STRV_H
#define ECSR_STRV_H

#include <stddef.h>

struct strv {
    char **v;
    size_t n;
    size_t cap;
};

#define STRV_INIT                                                                                  \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void strv_push(struct strv *sv, const char *s); /* copies s */
void strv_push_owned(struct strv *sv, char *s); /* takes s */
void strv_pushf(struct strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strv_contains(const struct strv *sv, const char *s);
void strv_sort(struct strv *sv);
void strv_free(struct strv *sv);

#endif
