/* Internals shared by loopback.c (threads, script, API) and
 * loopback_wire.c (HTTP parsing and writing). */
#ifndef ECSR_TEST_LOOPBACK_IMPL_H
#define ECSR_TEST_LOOPBACK_IMPL_H

#include <pthread.h>

#include "loopback.h"

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
    int stalled;
    char *greeting;

    pthread_mutex_t handler_mu; /* one handler call at a time */
};

void loopback_request_free(struct loopback_request *r);
/* Reads one request from the connection. Returns NULL on EOF, a malformed
 * request or stop. */
struct loopback_request *loopback_read_request(struct conn *c, struct buf *in);
void loopback_send_all(int fd, const void *data, size_t len);
/* With `half`, announces the whole body and sends half of it. */
void loopback_send_response(int fd, const struct loopback_reply *r, int close_conn, int half);

#endif
