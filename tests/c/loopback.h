/* A small threaded HTTP/1.1 server on 127.0.0.1 for unit tests.
 *
 * It answers from a script of responses (pushed in order) or, when a handler
 * is set, from a callback that sees each request. Every request is recorded
 * (method, path, query, headers, body, connection number) so tests can assert
 * on what the client sent. Connections are kept alive unless a response says
 * otherwise, so tests can count how many connections a client opened.
 *
 *     struct loopback *lb = loopback_start();
 *     loopback_push(lb, 200, "Content-Type: text/xml\r\n", "<ok/>");
 *     ... point the client at loopback_url(lb) ...
 *     CHECK_INT(loopback_request_count(lb), 1);
 *     CHECK_STR(loopback_request_at(lb, 0)->method, "POST");
 *     loopback_stop(lb);
 *
 * Each connection has its own thread, so a delayed answer on one connection
 * does not hold up another. loopback_stop interrupts delays and blocked
 * reads, joins every thread and frees everything. */
#ifndef ECSR_TEST_LOOPBACK_H
#define ECSR_TEST_LOOPBACK_H

#include <stddef.h>

#include "util/buf.h"

enum loopback_action {
    LOOPBACK_RESPOND = 0,    /* status line, headers, body */
    LOOPBACK_RESET,          /* abort the connection with a TCP RST, no answer */
    LOOPBACK_CLOSE,          /* close the connection cleanly without answering */
    LOOPBACK_CLOSE_MID_BODY, /* announce the whole body, send half, close */
    LOOPBACK_RAW,            /* send the body bytes as they are (no status line), close */
    LOOPBACK_STALL_MID_BODY, /* announce the whole body, send half, then send nothing more
                                until loopback_stop */
};

/* A scripted response. Pointers are copied by loopback_push_spec. */
struct loopback_spec {
    enum loopback_action action;
    int status;          /* 0: 200 */
    const char *headers; /* extra header lines, each ending in "\r\n"; NULL: none */
    const void *body;    /* NULL: empty */
    size_t body_len;     /* 0: strlen(body) */
    long delay_ms;       /* wait this long before acting (interrupted by stop) */
    int close;           /* send "Connection: close" and close after answering */
};

/* What a handler fills in. The server zeroes it before each call and frees
 * the buffers after answering. Content-Length and Connection are added by
 * the server; put other headers in `headers` as "Name: value\r\n" lines. */
struct loopback_reply {
    enum loopback_action action;
    int status; /* 0: 200 */
    struct buf headers;
    struct buf body;
    long delay_ms;
    int close;
};

struct loopback_header {
    char *name;
    char *value;
};

struct loopback_request {
    char *method;
    char *target;                    /* as on the request line */
    char *path;                      /* target without the query */
    char *query;                     /* after '?', NULL when absent */
    struct loopback_header *headers; /* in order received */
    size_t n_headers;
    char *body; /* NUL-terminated for convenience; body_len excludes it */
    size_t body_len;
    int connection; /* 1 for the first connection accepted, 2 for the next, ... */
};

typedef void (*loopback_handler)(const struct loopback_request *req, struct loopback_reply *reply,
                                 void *ud);

struct loopback;

/* Listens on 127.0.0.1 on a free port. Aborts the test program on failure
 * (a test cannot go on without its server). */
struct loopback *loopback_start(void);
/* Stops every thread, closes every socket and frees everything. NULL is fine. */
void loopback_stop(struct loopback *lb);

int loopback_port(const struct loopback *lb);
/* "http://127.0.0.1:PORT" (no trailing slash); owned by lb. */
const char *loopback_url(const struct loopback *lb);

/* Append to the script. Responses are used in order, one per request; with
 * the script exhausted and no handler, the server answers 500 with a body
 * saying so and counts the request as unexpected. */
void loopback_push_spec(struct loopback *lb, const struct loopback_spec *spec);
void loopback_push(struct loopback *lb, int status, const char *headers, const char *body);
void loopback_push_action(struct loopback *lb, enum loopback_action action);
/* Push the same response n times. */
void loopback_push_n(struct loopback *lb, int n, int status, const char *headers, const char *body);

/* Answer with a callback when the script is empty. The handler runs on a
 * connection thread, serialised with other handler calls by the server. */
void loopback_set_handler(struct loopback *lb, loopback_handler fn, void *ud);

/* Bytes sent on every new connection as soon as it is accepted, before any
 * request is read (e.g. plain text where a TLS client expects a
 * ServerHello). NULL: none. Copied. */
void loopback_set_greeting(struct loopback *lb, const char *greeting);

/* Recorded requests, in arrival order. The pointers stay valid until stop. */
size_t loopback_request_count(struct loopback *lb);
const struct loopback_request *loopback_request_at(struct loopback *lb, size_t i);
/* First header of that name (case-insensitive), or NULL. */
const char *loopback_request_header(const struct loopback_request *req, const char *name);
/* Number of values of that header name. */
size_t loopback_request_header_count(const struct loopback_request *req, const char *name);

/* Connections accepted so far. */
int loopback_connection_count(struct loopback *lb);
/* Connections stalled by LOOPBACK_STALL_MID_BODY now (they stay so until
 * loopback_stop). */
int loopback_stalled_count(struct loopback *lb);
/* Requests answered with the "script exhausted" 500. */
int loopback_unexpected_count(struct loopback *lb);
/* Scripted responses not used yet. */
size_t loopback_script_left(struct loopback *lb);

#endif
