/* Error values: every fallible function returns 0 or -1 and, on -1, has
 * filled a caller-owned `struct err`. Fixed-size fields keep error paths free
 * of allocation. */
#ifndef ECSR_ERR_H
#define ECSR_ERR_H

#include <stdarg.h>

#include "buf.h"

enum err_kind {
    ERR_NONE = 0,
    ERR_USAGE,       /* bad flag, bad variable: the caller must change the input */
    ERR_CONFIG,      /* unreadable or invalid config / credentials file */
    ERR_CREDENTIALS, /* no credentials, or a credential source failed */
    ERR_NETWORK,     /* connection refused / reset / DNS */
    ERR_TIMEOUT,     /* connect or request timed out */
    ERR_TLS,         /* certificate or handshake failure */
    ERR_SERVICE,     /* AWS answered with an error: see code/message */
    ERR_PROTOCOL,    /* an answer that is neither a result nor an AWS error */
    ERR_IO,          /* local file or process I/O */
    ERR_STATE,       /* the cluster is not in a state the operation allows */
    ERR_INTERRUPTED, /* SIGINT/SIGTERM */
    ERR_INTERNAL,
};

struct err {
    enum err_kind kind;
    long http_status;     /* 0 when no HTTP response was received */
    char code[128];       /* AWS error code, e.g. "ThrottlingException" */
    char request_id[128]; /* AWS request id, when known */
    char message[1024];   /* what went wrong, for a human */
    /* "autoscaling:SetDesiredCapacity" when AWS refused the call because the
     * credentials lack that IAM permission; err_format says so. */
    char permission[128];
};

void err_clear(struct err *e);
/* Set kind and message; returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *e, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int err_vset(struct err *e, enum err_kind kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* An error returned by an AWS service. Any field may be NULL. */
int err_service(struct err *e, long http_status, const char *code, const char *message,
                const char *request_id);
/* Prepend context ("DescribeTasks: ") to the message; returns -1. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *err_kind_name(enum err_kind kind);
/* One line for a human: "DescribeTasks: AccessDeniedException: ... (HTTP 400,
 * request id ...)", and for a missing permission what to grant. Registered
 * secrets are scrubbed. */
void err_format(const struct err *e, struct buf *out);

#endif
