/* The loopback server's HTTP/1.1 wire side: reading requests (with
 * Content-Length or chunked bodies) and writing responses. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "loopback_impl.h"
#include "util/mem.h"

#define MAX_HEADER_BYTES (64 * 1024)

/* ---- requests ---------------------------------------------------------- */

void loopback_request_free(struct loopback_request *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->target);
    free(r->path);
    free(r->query);
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    free(r);
}

const char *loopback_request_header(const struct loopback_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

size_t loopback_request_header_count(const struct loopback_request *req, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            n++;
    return n;
}

/* Wait for data on fd; read what is there into `in`. Returns bytes read,
 * 0 on EOF, -1 on error or stop. */
static long read_some(struct conn *c, struct buf *in)
{
    struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
                          {.fd = c->lb->stop_pipe[0], .events = POLLIN}};
    for (;;) {
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (p[1].revents & POLLIN))
            return -1;
        break;
    }
    char tmp[16384];
    ssize_t n;
    do
        n = recv(c->fd, tmp, sizeof(tmp), 0);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        buf_append(in, tmp, (size_t)n);
    return (long)n;
}

void loopback_send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the client went away: nothing to report to */
        p += n;
        len -= (size_t)n;
    }
}

/* ---- request parsing ---------------------------------------------------- */

static void consume(struct buf *in, size_t n)
{
    memmove(in->data, in->data + n, in->len - n);
    in->len -= n;
    in->data[in->len] = '\0';
}

/* Make sure `in` holds at least `need` bytes. Returns -1 on EOF/stop. */
static int fill(struct conn *c, struct buf *in, size_t need)
{
    while (in->len < need)
        if (read_some(c, in) <= 0)
            return -1;
    return 0;
}

/* Index just past the next "\r\n" (or "\n") at or after `from`, reading
 * more as needed; -1 on EOF/stop or an over-long line. */
static long line_end(struct conn *c, struct buf *in, size_t from)
{
    for (;;) {
        if (in->len > from) {
            char *nl = memchr(in->data + from, '\n', in->len - from);
            if (nl)
                return (long)(nl - in->data) + 1;
        }
        if (in->len - from > MAX_HEADER_BYTES || read_some(c, in) <= 0)
            return -1;
    }
}

static char *trimmed_dup(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return xstrndup(s, n);
}

static void add_header(struct loopback_request *r, size_t *cap, char *name, char *value)
{
    r->headers = xgrow(r->headers, cap, r->n_headers + 1, sizeof(*r->headers));
    r->headers[r->n_headers].name = name;
    r->headers[r->n_headers].value = value;
    r->n_headers++;
}

static int read_chunked_body(struct conn *c, struct buf *in, struct buf *body)
{
    for (;;) {
        long end = line_end(c, in, 0);
        if (end < 0)
            return -1;
        unsigned long size = strtoul(in->data, NULL, 16);
        consume(in, (size_t)end);
        if (size == 0) {
            /* Trailers up to the empty line. */
            for (;;) {
                end = line_end(c, in, 0);
                if (end < 0)
                    return -1;
                int empty = in->data[0] == '\r' || in->data[0] == '\n';
                consume(in, (size_t)end);
                if (empty)
                    return 0;
            }
        }
        if (fill(c, in, size) != 0)
            return -1;
        buf_append(body, in->data, size);
        consume(in, size);
        end = line_end(c, in, 0);
        if (end < 0)
            return -1;
        consume(in, (size_t)end);
    }
}

/* Reads one request from the connection. Returns NULL on EOF, a malformed
 * request or stop. */
struct loopback_request *loopback_read_request(struct conn *c, struct buf *in)
{
    long end = line_end(c, in, 0);
    if (end < 0)
        return NULL;
    struct loopback_request *r = xcalloc(1, sizeof(*r));
    size_t cap_headers = 0;
    r->connection = c->id;

    /* Request line: METHOD SP target SP HTTP/1.x; the target is taken as
     * everything between the first and the last space. */
    char *line = trimmed_dup(in->data, (size_t)end);
    consume(in, (size_t)end);
    char *sp1 = strchr(line, ' ');
    char *sp2 = strrchr(line, ' ');
    if (!sp1 || sp2 == sp1) {
        free(line);
        loopback_request_free(r);
        return NULL;
    }
    r->method = xstrndup(line, (size_t)(sp1 - line));
    r->target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    free(line);
    char *q = strchr(r->target, '?');
    r->path = q ? xstrndup(r->target, (size_t)(q - r->target)) : xstrdup(r->target);
    r->query = q ? xstrdup(q + 1) : NULL;

    /* Header lines up to the empty line. */
    size_t total = 0;
    for (;;) {
        end = line_end(c, in, 0);
        if (end < 0 || (total += (size_t)end) > MAX_HEADER_BYTES) {
            loopback_request_free(r);
            return NULL;
        }
        if (in->data[0] == '\r' || in->data[0] == '\n') {
            consume(in, (size_t)end);
            break;
        }
        char *colon = memchr(in->data, ':', (size_t)end);
        if (colon) {
            char *name = xstrndup(in->data, (size_t)(colon - in->data));
            char *value = trimmed_dup(colon + 1, (size_t)(in->data + end - colon - 1));
            add_header(r, &cap_headers, name, value);
        }
        consume(in, (size_t)end);
    }

    const char *expect = loopback_request_header(r, "Expect");
    if (expect && strcasecmp(expect, "100-continue") == 0)
        loopback_send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);

    struct buf body = BUF_INIT;
    const char *te = loopback_request_header(r, "Transfer-Encoding");
    const char *cl = loopback_request_header(r, "Content-Length");
    if (te && strcasecmp(te, "chunked") == 0) {
        if (read_chunked_body(c, in, &body) != 0) {
            buf_free(&body);
            loopback_request_free(r);
            return NULL;
        }
    } else if (cl) {
        size_t n = (size_t)strtoull(cl, NULL, 10);
        if (fill(c, in, n) != 0) {
            buf_free(&body);
            loopback_request_free(r);
            return NULL;
        }
        buf_append(&body, in->data, n);
        consume(in, n);
    }
    r->body_len = body.len;
    r->body = buf_steal(&body);
    return r;
}

static const char *reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

void loopback_send_response(int fd, const struct loopback_reply *r, int close_conn, int half)
{
    struct buf head = BUF_INIT;
    int status = r->status ? r->status : 200;
    buf_printf(&head, "HTTP/1.1 %d %s\r\n", status, reason(status));
    buf_append(&head, r->headers.data ? r->headers.data : "", r->headers.len);
    buf_printf(&head, "Content-Length: %zu\r\n", r->body.len);
    buf_puts(&head, close_conn ? "Connection: close\r\n" : "Connection: keep-alive\r\n");
    buf_puts(&head, "\r\n");
    loopback_send_all(fd, head.data, head.len);
    buf_free(&head);
    size_t n = half ? r->body.len / 2 : r->body.len;
    if (n)
        loopback_send_all(fd, r->body.data, n);
}
