#include "util/file.h"

#include <errno.h>
#include <unistd.h>

#include "util/mem.h"

enum file_read file_read_all(int fd, struct buf *out, size_t max, int *error)
{
    char chunk[8192];
    enum file_read rc = FILE_READ_OK;
    *error = 0;
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            *error = errno;
            rc = FILE_READ_FAILED;
        } else if (out->len + (size_t)got > max) {
            rc = FILE_READ_TOO_BIG;
        }
        if (got <= 0 || rc != FILE_READ_OK)
            break;
        buf_append(out, chunk, (size_t)got);
    }
    secure_zero(chunk, sizeof(chunk));
    return rc;
}
