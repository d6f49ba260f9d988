/* Allocation helpers. Out of memory is not a recoverable condition for a
 * command-line tool that holds a few megabytes at most, so these abort with a
 * message instead of threading ENOMEM through every caller (as git does). */
#ifndef ECSR_MEM_H
#define ECSR_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array to hold at least `need` elements of `size` bytes. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s); /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
/* Overwrite then free: for secret keys and tokens. NULL is fine. */
void free_secret(char *s);
/* Zero memory in a way the compiler cannot drop. */
void secure_zero(void *p, size_t n);

#endif
