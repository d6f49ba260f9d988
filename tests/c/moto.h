/* A real moto_server for integration tests: started on 127.0.0.1 on a free
 * port as a child process, stopped and reaped at the end.
 *
 *     struct moto *m = moto_start(NULL);
 *     if (!m) return;             // the test failure is already recorded
 *     ... point a client at moto_url(m) ...
 *     moto_stop(m);
 *
 * The server is tests/sim/moto-server of this tree (moto's own server with
 * the simulator's speed patches), else moto_server from PATH. A missing
 * moto_server (not on PATH) is a test failure with a message that says so,
 * never a skip. */
#ifndef ECSR_TEST_MOTO_H
#define ECSR_TEST_MOTO_H

struct moto_options {
    /* Extra environment for the server, "NAME=VALUE" strings, NULL-terminated
     * (e.g. "INITIAL_NO_AUTH_ACTION_COUNT=3"); NULL: none. */
    const char *const *env;
};

struct moto;

/* Starts the server and waits until it answers HTTP. On failure records a
 * test failure (with the server's output) and returns NULL. */
struct moto *moto_start(const struct moto_options *opts);
/* Terminates the server (its whole process group) and reaps it. NULL is fine. */
void moto_stop(struct moto *m);

/* One server for the whole test program, started on first use and stopped
 * at exit; every later call resets it, so each test starts empty. NULL after
 * recording a test failure. */
struct moto *moto_shared(void);

/* "http://127.0.0.1:PORT" */
const char *moto_url(const struct moto *m);
int moto_port(const struct moto *m);
/* POST /moto-api/reset: forget every resource. 0, or -1 after recording a
 * test failure. */
int moto_reset(struct moto *m);

#endif
