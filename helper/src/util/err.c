#include "err.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

static void copy_field(char *dst, size_t cap, const char *src)
{
    if (!src)
        src = "";
    snprintf(dst, cap, "%s", src);
}

void err_clear(struct err *e)
{
    memset(e, 0, sizeof(*e));
}

/* Messages are scrubbed whole and cut after: a secret cut in two would
 * escape the scrubbing and leave its start in the message. */
int err_vset(struct err *e, enum err_kind kind, const char *fmt, va_list ap)
{
    if (!e)
        return -1;
    err_clear(e);
    e->kind = kind;
    struct buf full = BUF_INIT;
    buf_vprintf(&full, fmt, ap);
    log_scrub_copy(e->message, sizeof(e->message), buf_cstr(&full));
    buf_free_secret(&full);
    return -1;
}

int err_set(struct err *e, enum err_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, kind, fmt, ap);
    va_end(ap);
    return -1;
}

int err_service(struct err *e, long http_status, const char *code, const char *message,
                const char *request_id)
{
    if (!e)
        return -1;
    err_clear(e);
    e->kind = ERR_SERVICE;
    e->http_status = http_status;
    copy_field(e->code, sizeof(e->code), code);
    log_scrub_copy(e->message, sizeof(e->message), message);
    copy_field(e->request_id, sizeof(e->request_id), request_id);
    return -1;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    struct buf full = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&full, fmt, ap);
    va_end(ap);
    buf_puts(&full, e->message);
    log_scrub_copy(e->message, sizeof(e->message), buf_cstr(&full));
    buf_free_secret(&full);
    return -1;
}

const char *err_kind_name(enum err_kind kind)
{
    switch (kind) {
    case ERR_NONE:
        return "none";
    case ERR_USAGE:
        return "usage";
    case ERR_CONFIG:
        return "config";
    case ERR_CREDENTIALS:
        return "credentials";
    case ERR_NETWORK:
        return "network";
    case ERR_TIMEOUT:
        return "timeout";
    case ERR_TLS:
        return "tls";
    case ERR_SERVICE:
        return "service";
    case ERR_PROTOCOL:
        return "protocol";
    case ERR_IO:
        return "io";
    case ERR_STATE:
        return "state";
    case ERR_INTERRUPTED:
        return "interrupted";
    case ERR_INTERNAL:
        return "internal";
    }
    return "unknown";
}

void err_format(const struct err *e, struct buf *out)
{
    size_t start = out->len;
    if (e->kind == ERR_SERVICE && e->code[0]) {
        buf_printf(out, "%s: %s", e->code, e->message[0] ? e->message : "(no message)");
    } else {
        buf_puts(out, e->message[0] ? e->message : err_kind_name(e->kind));
    }
    if (e->http_status || e->request_id[0]) {
        buf_puts(out, " (");
        if (e->http_status)
            buf_printf(out, "HTTP %ld", e->http_status);
        if (e->http_status && e->request_id[0])
            buf_puts(out, ", ");
        if (e->request_id[0])
            buf_printf(out, "request id %s", e->request_id);
        buf_puts(out, ")");
    }
    if (e->permission[0])
        buf_printf(out,
                   ". This is a permissions problem: the credentials in use are not allowed %s; "
                   "grant it in their IAM policy (the ecs-cluster module's "
                   "rollout_iam_policy_json output holds every permission ecs-rollout needs)",
                   e->permission);
    if (out->data)
        log_scrub(out->data + start);
    out->len = out->data ? strlen(out->data) : 0;
}
