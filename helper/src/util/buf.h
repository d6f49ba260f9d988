/* Growable byte buffer, always NUL-terminated once anything was added. */
#ifndef ECSR_BUF_H
#define ECSR_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The contents as a C string: "" for an empty buffer, never NULL. */
const char *buf_cstr(const struct buf *b);
/* Hand the storage to the caller (never NULL) and leave the buffer empty. */
char *buf_steal(struct buf *b);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Zero the storage before freeing: for buffers that held secrets. */
void buf_free_secret(struct buf *b);

/* Whether s (NULL: no) holds a control character: CR, LF, any other byte
 * below 0x20, or DEL. Such a byte in a header value would end the header
 * and start another. */
int text_has_control(const char *s);

#endif
