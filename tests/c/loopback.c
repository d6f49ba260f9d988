/* The loopback HTTP/1.1 server for unit tests (see loopback.h). */
#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/mem.h"

#define MAX_HEADER_BYTES (64 * 1024)

struct conn {
    struct loopback *lb;
    pthread_t thread;
    int fd; /* -1 once the connection thread has closed it */
    int id;
};

struct loopback {
    int listen_fd;
    int port;
    char url[64];
    int stop_pipe[2]; /* written once at stop; readable forever after */
    pthread_t acceptor;

    pthread_mutex_t mu; /* guards everything below but the handler call */
    struct loopback_reply *script;
    size_t n_script, cap_script, script_pos;
    loopback_handler handler;
    void *handler_ud;
    struct loopback_request **reqs;
    size_t n_reqs, cap_reqs;
    struct conn **conns;
    size_t n_conns, cap_conns;
    int unexpected;

    pthread_mutex_t handler_mu; /* one handler call at a time */
};

static void die(const char *what)
{
    fprintf(stderr, "loopback: %s: %s\n", what, strerror(errno));
    abort();
}

/* ---- requests ---------------------------------------------------------- */

static void request_free(struct loopback_request *r)
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

/* ---- socket I/O --------------------------------------------------------- */

static int stopping(struct loopback *lb)
{
    struct pollfd p = {.fd = lb->stop_pipe[0], .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

/* Wait for data on fd; read what is there into `in`. Returns bytes read,
 * 0 on EOF, -1 on error or stop. */
static long read_some(struct conn *c, struct buf *in)
{
    struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN}, {.fd = c->lb->stop_pipe[0], .events = POLLIN}};
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

static void send_all(int fd, const void *data, size_t len)
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

/* Sleep up to ms, ending early at stop. Returns -1 when stopping. */
static int delay(struct loopback *lb, long ms)
{
    if (ms <= 0)
        return 0;
    struct pollfd p = {.fd = lb->stop_pipe[0], .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, (int)ms);
    while (r < 0 && errno == EINTR);
    return r > 0 ? -1 : 0;
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
static struct loopback_request *read_request(struct conn *c, struct buf *in)
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
        request_free(r);
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
            request_free(r);
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
        send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);

    struct buf body = BUF_INIT;
    const char *te = loopback_request_header(r, "Transfer-Encoding");
    const char *cl = loopback_request_header(r, "Content-Length");
    if (te && strcasecmp(te, "chunked") == 0) {
        if (read_chunked_body(c, in, &body) != 0) {
            buf_free(&body);
            request_free(r);
            return NULL;
        }
    } else if (cl) {
        size_t n = (size_t)strtoull(cl, NULL, 10);
        if (fill(c, in, n) != 0) {
            buf_free(&body);
            request_free(r);
            return NULL;
        }
        buf_append(&body, in->data, n);
        consume(in, n);
    }
    r->body_len = body.len;
    r->body = buf_steal(&body);
    return r;
}

/* ---- answering ----------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

static void reply_free(struct loopback_reply *r)
{
    buf_free(&r->headers);
    buf_free(&r->body);
}

/* Takes the next scripted reply, or asks the handler, or makes the
 * "script exhausted" answer. */
static void next_reply(struct loopback *lb, const struct loopback_request *req,
                       struct loopback_reply *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&lb->mu);
    if (lb->script_pos < lb->n_script) {
        *out = lb->script[lb->script_pos];
        memset(&lb->script[lb->script_pos], 0, sizeof(lb->script[0]));
        lb->script_pos++;
        pthread_mutex_unlock(&lb->mu);
        return;
    }
    loopback_handler fn = lb->handler;
    void *ud = lb->handler_ud;
    if (!fn)
        lb->unexpected++;
    pthread_mutex_unlock(&lb->mu);
    if (fn) {
        pthread_mutex_lock(&lb->handler_mu);
        fn(req, out, ud);
        pthread_mutex_unlock(&lb->handler_mu);
        return;
    }
    out->status = 500;
    buf_puts(&out->headers, "Content-Type: text/plain\r\n");
    buf_printf(&out->body, "loopback: no scripted response left for %s %s", req->method,
               req->target);
}

static void send_response(int fd, const struct loopback_reply *r, int close_conn, int half)
{
    struct buf head = BUF_INIT;
    int status = r->status ? r->status : 200;
    buf_printf(&head, "HTTP/1.1 %d %s\r\n", status, reason(status));
    buf_append(&head, r->headers.data ? r->headers.data : "", r->headers.len);
    buf_printf(&head, "Content-Length: %zu\r\n", r->body.len);
    buf_puts(&head, close_conn ? "Connection: close\r\n" : "Connection: keep-alive\r\n");
    buf_puts(&head, "\r\n");
    send_all(fd, head.data, head.len);
    buf_free(&head);
    size_t n = half ? r->body.len / 2 : r->body.len;
    if (n)
        send_all(fd, r->body.data, n);
}

/* Closes the connection; with `reset`, aborts it with an RST. */
static void close_conn(struct conn *c, int reset)
{
    int fd;
    pthread_mutex_lock(&c->lb->mu);
    fd = c->fd;
    c->fd = -1;
    pthread_mutex_unlock(&c->lb->mu);
    if (fd < 0)
        return;
    if (reset) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    } else {
        shutdown(fd, SHUT_WR);
    }
    close(fd);
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    struct loopback *lb = c->lb;
    struct buf in = BUF_INIT;
    int reset = 0;
    buf_reserve(&in, 0);
    for (;;) {
        struct loopback_request *req = read_request(c, &in);
        if (!req)
            break;
        pthread_mutex_lock(&lb->mu);
        lb->reqs = xgrow(lb->reqs, &lb->cap_reqs, lb->n_reqs + 1, sizeof(*lb->reqs));
        lb->reqs[lb->n_reqs++] = req;
        pthread_mutex_unlock(&lb->mu);

        struct loopback_reply reply;
        next_reply(lb, req, &reply);
        if (delay(lb, reply.delay_ms) != 0 || stopping(lb)) {
            reply_free(&reply);
            break;
        }
        const char *conn_hdr = loopback_request_header(req, "Connection");
        int client_close = conn_hdr && strcasecmp(conn_hdr, "close") == 0;
        int done = 1;
        switch (reply.action) {
        case LOOPBACK_RESPOND:
            send_response(c->fd, &reply, reply.close || client_close, 0);
            done = reply.close || client_close;
            break;
        case LOOPBACK_RESET:
            reset = 1;
            break;
        case LOOPBACK_CLOSE:
            break;
        case LOOPBACK_CLOSE_MID_BODY:
            send_response(c->fd, &reply, 0, 1);
            break;
        case LOOPBACK_RAW:
            if (reply.body.len)
                send_all(c->fd, reply.body.data, reply.body.len);
            break;
        }
        reply_free(&reply);
        if (done)
            break;
    }
    buf_free(&in);
    close_conn(c, reset);
    return NULL;
}

static void *acceptor_main(void *arg)
{
    struct loopback *lb = arg;
    struct pollfd p[2] = {{.fd = lb->listen_fd, .events = POLLIN},
                          {.fd = lb->stop_pipe[0], .events = POLLIN}};
    for (;;) {
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (p[1].revents & POLLIN))
            return NULL;
        int fd = accept(lb->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        struct conn *c = xcalloc(1, sizeof(*c));
        c->lb = lb;
        c->fd = fd;
        pthread_mutex_lock(&lb->mu);
        lb->conns = xgrow(lb->conns, &lb->cap_conns, lb->n_conns + 1, sizeof(*lb->conns));
        lb->conns[lb->n_conns++] = c;
        c->id = (int)lb->n_conns;
        if (pthread_create(&c->thread, NULL, conn_main, c) != 0)
            die("pthread_create");
        pthread_mutex_unlock(&lb->mu);
    }
}

/* ---- public API ---------------------------------------------------------- */

struct loopback *loopback_start(void)
{
    struct loopback *lb = xcalloc(1, sizeof(*lb));
    pthread_mutex_init(&lb->mu, NULL);
    pthread_mutex_init(&lb->handler_mu, NULL);
    if (pipe(lb->stop_pipe) != 0)
        die("pipe");
    lb->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lb->listen_fd < 0)
        die("socket");
    int one = 1;
    setsockopt(lb->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lb->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        die("bind 127.0.0.1:0");
    if (listen(lb->listen_fd, 64) != 0)
        die("listen");
    socklen_t len = sizeof(sa);
    if (getsockname(lb->listen_fd, (struct sockaddr *)&sa, &len) != 0)
        die("getsockname");
    lb->port = ntohs(sa.sin_port);
    snprintf(lb->url, sizeof(lb->url), "http://127.0.0.1:%d", lb->port);
    if (pthread_create(&lb->acceptor, NULL, acceptor_main, lb) != 0)
        die("pthread_create");
    return lb;
}

void loopback_stop(struct loopback *lb)
{
    if (!lb)
        return;
    ssize_t w;
    do
        w = write(lb->stop_pipe[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(lb->acceptor, NULL);
    /* No new connection can appear now. Wake threads blocked in send(). */
    pthread_mutex_lock(&lb->mu);
    for (size_t i = 0; i < lb->n_conns; i++)
        if (lb->conns[i]->fd >= 0)
            shutdown(lb->conns[i]->fd, SHUT_RDWR);
    pthread_mutex_unlock(&lb->mu);
    for (size_t i = 0; i < lb->n_conns; i++) {
        pthread_join(lb->conns[i]->thread, NULL);
        free(lb->conns[i]);
    }
    free(lb->conns);
    close(lb->listen_fd);
    close(lb->stop_pipe[0]);
    close(lb->stop_pipe[1]);
    for (size_t i = 0; i < lb->n_reqs; i++)
        request_free(lb->reqs[i]);
    free(lb->reqs);
    for (size_t i = 0; i < lb->n_script; i++)
        reply_free(&lb->script[i]);
    free(lb->script);
    pthread_mutex_destroy(&lb->mu);
    pthread_mutex_destroy(&lb->handler_mu);
    free(lb);
}

int loopback_port(const struct loopback *lb)
{
    return lb->port;
}

const char *loopback_url(const struct loopback *lb)
{
    return lb->url;
}

void loopback_push_spec(struct loopback *lb, const struct loopback_spec *spec)
{
    struct loopback_reply r;
    memset(&r, 0, sizeof(r));
    r.action = spec->action;
    r.status = spec->status;
    r.delay_ms = spec->delay_ms;
    r.close = spec->close;
    if (spec->headers)
        buf_puts(&r.headers, spec->headers);
    if (spec->body)
        buf_append(&r.body, spec->body,
                   spec->body_len ? spec->body_len : strlen((const char *)spec->body));
    pthread_mutex_lock(&lb->mu);
    lb->script = xgrow(lb->script, &lb->cap_script, lb->n_script + 1, sizeof(*lb->script));
    lb->script[lb->n_script++] = r;
    pthread_mutex_unlock(&lb->mu);
}

void loopback_push(struct loopback *lb, int status, const char *headers, const char *body)
{
    struct loopback_spec s = {.status = status, .headers = headers, .body = body};
    loopback_push_spec(lb, &s);
}

void loopback_push_n(struct loopback *lb, int n, int status, const char *headers,
                     const char *body)
{
    for (int i = 0; i < n; i++)
        loopback_push(lb, status, headers, body);
}

void loopback_push_action(struct loopback *lb, enum loopback_action action)
{
    struct loopback_spec s = {.action = action};
    loopback_push_spec(lb, &s);
}

void loopback_set_handler(struct loopback *lb, loopback_handler fn, void *ud)
{
    pthread_mutex_lock(&lb->mu);
    lb->handler = fn;
    lb->handler_ud = ud;
    pthread_mutex_unlock(&lb->mu);
}

size_t loopback_request_count(struct loopback *lb)
{
    pthread_mutex_lock(&lb->mu);
    size_t n = lb->n_reqs;
    pthread_mutex_unlock(&lb->mu);
    return n;
}

const struct loopback_request *loopback_request_at(struct loopback *lb, size_t i)
{
    pthread_mutex_lock(&lb->mu);
    const struct loopback_request *r = i < lb->n_reqs ? lb->reqs[i] : NULL;
    pthread_mutex_unlock(&lb->mu);
    return r;
}

int loopback_connection_count(struct loopback *lb)
{
    pthread_mutex_lock(&lb->mu);
    int n = (int)lb->n_conns;
    pthread_mutex_unlock(&lb->mu);
    return n;
}

int loopback_unexpected_count(struct loopback *lb)
{
    pthread_mutex_lock(&lb->mu);
    int n = lb->unexpected;
    pthread_mutex_unlock(&lb->mu);
    return n;
}

size_t loopback_script_left(struct loopback *lb)
{
    pthread_mutex_lock(&lb->mu);
    size_t n = lb->n_script - lb->script_pos;
    pthread_mutex_unlock(&lb->mu);
    return n;
}
