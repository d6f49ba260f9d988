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

#include "loopback_impl.h"
#include "util/mem.h"

static void die(const char *what)
{
    fprintf(stderr, "loopback: %s: %s\n", what, strerror(errno));
    abort();
}

/* ---- stop and delays ----------------------------------------------------- */

static int stopping(struct loopback *lb)
{
    struct pollfd p = {.fd = lb->stop_pipe[0], .events = POLLIN};
    return poll(&p, 1, 0) > 0;
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

/* ---- answering ----------------------------------------------------------- */

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
    pthread_mutex_lock(&lb->mu);
    char *greeting = lb->greeting ? xstrdup(lb->greeting) : NULL;
    pthread_mutex_unlock(&lb->mu);
    if (greeting)
        loopback_send_all(c->fd, greeting, strlen(greeting));
    free(greeting);
    for (;;) {
        struct loopback_request *req = loopback_read_request(c, &in);
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
            loopback_send_response(c->fd, &reply, reply.close || client_close, 0);
            done = reply.close || client_close;
            break;
        case LOOPBACK_RESET:
            reset = 1;
            break;
        case LOOPBACK_CLOSE:
            break;
        case LOOPBACK_CLOSE_MID_BODY:
            loopback_send_response(c->fd, &reply, 0, 1);
            break;
        case LOOPBACK_STALL_MID_BODY:
            loopback_send_response(c->fd, &reply, 0, 1);
            pthread_mutex_lock(&lb->mu);
            lb->stalled++;
            pthread_mutex_unlock(&lb->mu);
            while (delay(lb, 60000) == 0)
                ;
            break;
        case LOOPBACK_RAW:
            if (reply.body.len)
                loopback_send_all(c->fd, reply.body.data, reply.body.len);
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
        loopback_request_free(lb->reqs[i]);
    free(lb->reqs);
    for (size_t i = 0; i < lb->n_script; i++)
        reply_free(&lb->script[i]);
    free(lb->script);
    free(lb->greeting);
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

void loopback_push_n(struct loopback *lb, int n, int status, const char *headers, const char *body)
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

void loopback_set_greeting(struct loopback *lb, const char *greeting)
{
    pthread_mutex_lock(&lb->mu);
    free(lb->greeting);
    lb->greeting = greeting ? xstrdup(greeting) : NULL;
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

int loopback_stalled_count(struct loopback *lb)
{
    pthread_mutex_lock(&lb->mu);
    int n = lb->stalled;
    pthread_mutex_unlock(&lb->mu);
    return n;
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
