#include "moto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "test.h"
#include "util/buf.h"
#include "util/mem.h"

extern char **environ;

/* Deadlines for a slow, shared machine; they bound a hang, they assert nothing. */
#define START_DEADLINE_MS 90000
#define STOP_DEADLINE_MS 15000

struct moto {
    pid_t pid; /* also the process group */
    int port;
    char url[64];
    char log_path[256];
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static char *find_in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        struct buf cand = BUF_INIT;
        buf_append(&cand, len ? path : ".", len ? len : 1);
        buf_printf(&cand, "/%s", prog);
        struct stat st;
        if (stat(buf_cstr(&cand), &st) == 0 && S_ISREG(st.st_mode) &&
            access(buf_cstr(&cand), X_OK) == 0)
            return buf_steal(&cand);
        buf_free(&cand);
        path += len;
        if (*path == ':')
            path++;
    }
    return NULL;
}

/* tests/sim/moto-server of the tree this program was built in (moto's own
 * server with the simulator's speed patches: the same answers at a fraction of
 * the CPU), found from the program's path, helper/<build>/tests/<program>;
 * NULL if there is none (then moto_server from PATH). */
static char *tree_moto_server(void)
{
#ifdef __linux__
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(path, '/');
        if (!slash)
            return NULL;
        *slash = '\0';
    }
    struct buf cand = BUF_INIT;
    buf_printf(&cand, "%s/tests/sim/moto-server", path);
    struct stat st;
    if (stat(buf_cstr(&cand), &st) == 0 && S_ISREG(st.st_mode) &&
        access(buf_cstr(&cand), X_OK) == 0)
        return buf_steal(&cand);
    buf_free(&cand);
#endif
    return NULL;
}

/* The port the server listens on, from its log (werkzeug prints
 * " * Running on http://127.0.0.1:PORT" once bound), or 0 before that.
 * The server binds port 0 itself: a port picked here and handed over would
 * be free for any process in between, and a server of another test taking
 * it would then answer for ours (a cluster simulator did: the reset below
 * wiped its state in the middle of a terraform apply). */
static int announced_port(const char *log_path)
{
    char text[4096];
    FILE *f = fopen(log_path, "rb");
    if (!f)
        return 0;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *at = strstr(text, "Running on http://127.0.0.1:");
    int port = 0;
    if (!at || sscanf(at, "Running on http://127.0.0.1:%d", &port) != 1 || port <= 0 ||
        port > 65535)
        return 0;
    return port;
}

/* One HTTP/1.0 exchange on 127.0.0.1:port; the status code, or -1 when
 * nothing answered. */
static int http_status(int port, const char *method, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    char req[256];
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nContent-Length: 0\r\n\r\n", method,
                     path, port);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    char resp[64];
    size_t got = 0;
    while (got < sizeof(resp) - 1) {
        ssize_t r = read(fd, resp + got, sizeof(resp) - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    resp[got] = '\0';
    int status;
    if (sscanf(resp, "HTTP/%*d.%*d %d", &status) != 1)
        return -1;
    return status;
}

static void log_tail(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        long from = size > (long)cap - 1 ? size - (long)cap + 1 : 0;
        fseek(f, from, SEEK_SET);
    }
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (out[i] == '\n')
            out[i] = '|';
}

static pid_t spawn(const char *prog, const char *log_path, const struct moto_options *opts)
{
    /* The environment is built before fork: only async-signal-safe calls after. */
    size_t n_env = 0, n_extra = 0;
    while (environ[n_env])
        n_env++;
    while (opts && opts->env && opts->env[n_extra])
        n_extra++;
    char **envp = xcalloc(n_env + n_extra + 1, sizeof(*envp));
    for (size_t i = 0; i < n_env; i++)
        envp[i] = environ[i];
    for (size_t i = 0; i < n_extra; i++)
        envp[n_env + i] = (char *)opts->env[i];
    char *argv[] = {(char *)prog, "-H", "127.0.0.1", "-p", "0", NULL};
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
#ifdef __linux__
        /* Never outlive a test program that dies without stopping us. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
#endif
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0)
            dup2(null_fd, 0);
        if (log_fd >= 0) {
            dup2(log_fd, 1);
            dup2(log_fd, 2);
        }
        execve(prog, argv, envp);
        _exit(127);
    }
    (void)parent;
    if (pid > 0)
        setpgid(pid, pid); /* also here, so the group exists before we signal it */
    if (log_fd >= 0)
        close(log_fd);
    free(envp);
    return pid;
}

/* Whether the server process has exited, without reaping it: while the
 * zombie is unreaped its process group id cannot be reused, so signalling
 * the group stays safe. */
static int leader_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

/* Kills what is left of the group, then reaps the leader. */
static void reap(pid_t pid)
{
    kill(-pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
}

static void stop_server(pid_t pid)
{
    kill(-pid, SIGTERM);
    for (long waited = 0; !leader_exited(pid); waited += 50) {
        if (waited >= STOP_DEADLINE_MS)
            break; /* reap() kills it */
        sleep_ms(50);
    }
    reap(pid);
}

struct moto *moto_start(const struct moto_options *opts)
{
    static int started;
    char *prog = tree_moto_server();
    if (!prog)
        prog = find_in_path("moto_server");
    if (!prog) {
        test_fail(__FILE__, __LINE__,
                  "moto_server is not on PATH (PATH=%s): the integration tests need it; "
                  "install it with: pip install 'moto[server]'",
                  getenv("PATH") ? getenv("PATH") : "");
        return NULL;
    }
    struct moto *m = xcalloc(1, sizeof(*m));
    char tail[1500] = "";
    const char *tmp = getenv("TMPDIR");
    snprintf(m->log_path, sizeof(m->log_path), "%s/ecsr-moto-%ld-%d.log",
             tmp && *tmp ? tmp : "/tmp", (long)getpid(), ++started);
    m->pid = spawn(prog, m->log_path, opts);
    if (m->pid >= 0) {
        for (long waited = 0; waited < START_DEADLINE_MS && !leader_exited(m->pid); waited += 100) {
            int port = announced_port(m->log_path);
            if (port > 0 && http_status(port, "GET", "/moto-api/") > 0) {
                /* The server keeps its descriptor; nothing is left behind
                 * even if this program dies. */
                unlink(m->log_path);
                free(prog);
                m->port = port;
                snprintf(m->url, sizeof(m->url), "http://127.0.0.1:%d", m->port);
                return m;
            }
            sleep_ms(100);
        }
        stop_server(m->pid);
    }
    log_tail(m->log_path, tail, sizeof(tail));
    unlink(m->log_path);
    test_fail(__FILE__, __LINE__, "moto_server (%s) did not start on 127.0.0.1: %s", prog,
              tail[0] ? tail : "no output");
    free(prog);
    free(m);
    return NULL;
}

void moto_stop(struct moto *m)
{
    if (!m)
        return;
    stop_server(m->pid);
    free(m);
}

const char *moto_url(const struct moto *m)
{
    return m->url;
}

int moto_port(const struct moto *m)
{
    return m->port;
}

static struct moto *shared;

static void stop_shared(void)
{
    moto_stop(shared);
    shared = NULL;
}

struct moto *moto_shared(void)
{
    if (shared)
        return moto_reset(shared) == 0 ? shared : NULL;
    shared = moto_start(NULL);
    if (shared)
        atexit(stop_shared);
    return shared;
}

int moto_reset(struct moto *m)
{
    int status = http_status(m->port, "POST", "/moto-api/reset");
    if (status != 200) {
        test_fail(__FILE__, __LINE__, "POST %s/moto-api/reset answered %d", m->url, status);
        return -1;
    }
    return 0;
}
