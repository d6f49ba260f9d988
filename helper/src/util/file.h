/* Reading a whole file descriptor, for the few files the helper reads
 * (profile files, token files, the SSO token cache). */
#ifndef ECSR_UTIL_FILE_H
#define ECSR_UTIL_FILE_H

#include <stddef.h>

#include "util/buf.h"

enum file_read {
    FILE_READ_OK = 0,
    FILE_READ_FAILED = -1,  /* read(2) failed: *error is its errno */
    FILE_READ_TOO_BIG = -2, /* more than `max` bytes */
};

/* Appends everything left in fd to `out`, retrying on EINTR, and stops
 * (FILE_READ_TOO_BIG) once out would exceed `max` bytes. The read buffer is
 * wiped (the file may hold a secret); on failure `out` keeps what was
 * read, for the caller to wipe. The caller closes fd. */
enum file_read file_read_all(int fd, struct buf *out, size_t max, int *error);

#endif
