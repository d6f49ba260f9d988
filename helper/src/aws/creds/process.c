/* credential_process: run the profile's command with /bin/sh -c (as the SDKs
 * do) and read {"Version": 1, "AccessKeyId", "SecretAccessKey",
 * "SessionToken", "Expiration"} from its standard output. Nothing secret is
 * passed to it; its standard error is kept (scrubbed) for messages. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws/creds/providers.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

extern char **environ;

#define MAX_STDOUT_BYTES (1024 * 1024)
#define MAX_STDERR_KEPT 2048
#define FORMAT_HINT                                                                                \
    "it must print {\"Version\": 1, \"AccessKeyId\": ..., \"SecretAccessKey\": ..., "              \
    "\"SessionToken\": ..., \"Expiration\": \"2024-05-01T12:00:00Z\"}"

struct process_provider {
    struct cred_provider base;
    const struct aws_shared_config *cfg; /* NULL: `command` is fixed */
    char *profile;
    char *label;   /* "profile 'x'" */
    char *command; /* when cfg is NULL */
    long timeout_ms;
    char *name;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cloexec_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

struct run_result {
    struct buf out; /* stdout: may hold secrets */
    struct buf err; /* the first MAX_STDERR_KEPT bytes of stderr */
    int status;     /* from waitpid */
};

static void reap(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
}

/* Spawn /bin/sh -c command and collect its output. */
static int run_command(const char *who, const char *command, long timeout_ms,
                       struct run_result *res, struct err *err)
{
    int outp[2], errp[2];
    if (cloexec_pipe(outp) != 0)
        return err_set(err, ERR_IO, "%s: cannot create a pipe: %s", who, strerror(errno));
    if (cloexec_pipe(errp) != 0) {
        int e = errno;
        close(outp[0]);
        close(outp[1]);
        return err_set(err, ERR_IO, "%s: cannot create a pipe: %s", who, strerror(e));
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(outp[1]);
    close(errp[1]);
    if (rc != 0) {
        close(outp[0]);
        close(errp[0]);
        return err_set(err, ERR_IO, "%s: cannot start /bin/sh: %s", who, strerror(rc));
    }

    long long deadline = now_ms() + timeout_ms;
    struct pollfd fds[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = errp[0], .events = POLLIN}};
    int open_fds = 2, failed = 0;
    char chunk[4096];
    while (open_fds > 0 && !failed) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            failed = 1;
            err_set(err, ERR_CREDENTIALS,
                    "%s did not finish within %ld s and was stopped; make the command finish "
                    "faster or check that it is not waiting for input",
                    who, timeout_ms / 1000 ? timeout_ms / 1000 : 1);
            break;
        }
        int n = poll(fds, 2, left > 1000 ? 1000 : (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            failed = 1;
            err_set(err, ERR_IO, "%s: poll failed: %s", who, strerror(errno));
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = read(fds[i].fd, chunk, sizeof(chunk));
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            if (i == 0) {
                if (res->out.len + (size_t)got > MAX_STDOUT_BYTES) {
                    failed = 1;
                    err_set(err, ERR_CREDENTIALS, "%s printed more than %d bytes; " FORMAT_HINT,
                            who, MAX_STDOUT_BYTES);
                    break;
                }
                buf_append(&res->out, chunk, (size_t)got);
            } else if (res->err.len < MAX_STDERR_KEPT) {
                size_t keep = MAX_STDERR_KEPT - res->err.len;
                buf_append(&res->err, chunk, (size_t)got < keep ? (size_t)got : keep);
            }
        }
    }
    secure_zero(chunk, sizeof(chunk));
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    if (failed) {
        kill(pid, SIGKILL);
        reap(pid, &res->status);
        return -1;
    }
    /* Output is closed; give the process the rest of the time to exit. */
    for (;;) {
        pid_t w = waitpid(pid, &res->status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            return err_set(err, ERR_IO, "%s: waitpid failed: %s", who, strerror(errno));
        }
        if (now_ms() >= deadline) {
            kill(pid, SIGKILL);
            reap(pid, &res->status);
            return err_set(err, ERR_CREDENTIALS,
                           "%s closed its output but did not exit within %ld s and was stopped",
                           who, timeout_ms / 1000 ? timeout_ms / 1000 : 1);
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* stderr as one short line for a message. */
static void stderr_summary(const struct buf *b, char *out, size_t cap)
{
    size_t j = 0;
    int space = 0;
    for (size_t i = 0; i < b->len && j + 4 < cap; i++) {
        unsigned char c = (unsigned char)b->data[i];
        if (c < 0x20 || c == 0x7f) {
            space = j > 0;
            continue;
        }
        if (space) {
            out[j++] = ' ';
            space = 0;
        }
        out[j++] = (char)c;
    }
    if (j == 0) {
        snprintf(out, cap, "(nothing on stderr)");
        return;
    }
    if (j > 300) {
        j = 300;
        memcpy(out + j, "...", 3);
        j += 3;
    }
    out[j] = '\0';
    log_scrub(out);
}

int cred_process_parse_output(const char *who, const struct buf *out, struct aws_credentials *creds,
                              struct err *err)
{
    const char *text = buf_cstr(out);
    size_t len = out->len, i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    if (i == len)
        return err_set(err, ERR_CREDENTIALS, "%s printed nothing on stdout; " FORMAT_HINT, who);
    cJSON *json = cred_json_parse(text, len, who, "printed", err);
    if (!json) {
        cred_err_append(err, "; " FORMAT_HINT);
        return -1;
    }
    int rc = 0;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(json, "Version");
    if (!cJSON_IsObject(json)) {
        rc = err_set(err, ERR_CREDENTIALS, "%s printed JSON that is not an object; " FORMAT_HINT,
                     who);
    } else if (!version) {
        rc = err_set(err, ERR_CREDENTIALS, "%s printed no Version; " FORMAT_HINT, who);
    } else if (!cJSON_IsNumber(version) || version->valuedouble != 1) {
        if (cJSON_IsNumber(version))
            rc = err_set(err, ERR_CREDENTIALS,
                         "%s printed Version %g; only Version 1 is supported: " FORMAT_HINT, who,
                         version->valuedouble);
        else
            rc = err_set(err, ERR_CREDENTIALS,
                         "%s printed a Version that is not the number 1; " FORMAT_HINT, who);
    } else if (cred_from_json(json, "SessionToken", who, creds, err) != 0) {
        cred_err_append(err, "; " FORMAT_HINT);
        rc = -1;
    } else if (creds->expiration && creds->expiration <= time(NULL)) {
        char when[32], now[32];
        cred_format_time(creds->expiration, when);
        cred_format_time(time(NULL), now);
        rc = err_set(err, ERR_CREDENTIALS,
                     "%s returned credentials that expired at %s (it is now %s); it must print "
                     "fresh credentials (log in again, or check the system clock)",
                     who, when, now);
    }
    cred_json_free(json);
    return rc;
}

static int process_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                       struct err *err)
{
    struct process_provider *pp = (struct process_provider *)self;
    const char *command = pp->command;
    if (pp->cfg) {
        if (!aws_shared_config_has_profile(pp->cfg, pp->profile))
            return cred_absent(absent, err, "profile '%s': not in %s or %s", pp->profile,
                               pp->cfg->config.path, pp->cfg->credentials.path);
        command = aws_shared_config_get(pp->cfg, pp->profile, "credential_process");
        if (!command || !*command)
            return cred_absent(absent, err, "profile '%s': no credential_process", pp->profile);
    }
    struct buf who = BUF_INIT;
    buf_printf(&who, "credential_process for %s", pp->label);
    log_debug("running %s", buf_cstr(&who));
    struct run_result res = {BUF_INIT, BUF_INIT, 0};
    int rc = run_command(buf_cstr(&who), command, pp->timeout_ms, &res, err);
    if (rc == 0 && WIFSIGNALED(res.status)) {
        char detail[400];
        stderr_summary(&res.err, detail, sizeof(detail));
        rc = err_set(err, ERR_CREDENTIALS,
                     "%s was killed by signal %d: %s; run the command yourself to see what is "
                     "wrong",
                     buf_cstr(&who), WTERMSIG(res.status), detail);
    } else if (rc == 0 && WEXITSTATUS(res.status) != 0) {
        char detail[400];
        stderr_summary(&res.err, detail, sizeof(detail));
        rc = err_set(err, ERR_CREDENTIALS,
                     "%s exited with status %d: %s; run the command yourself to see what is "
                     "wrong",
                     buf_cstr(&who), WEXITSTATUS(res.status), detail);
    } else if (rc == 0) {
        rc = cred_process_parse_output(buf_cstr(&who), &res.out, out, err);
        if (rc == 0) {
            buf_reset(&who);
            buf_printf(&who, "credential_process (%s)", pp->label);
            out->source = buf_steal(&who);
        }
    }
    buf_free_secret(&res.out);
    buf_free(&res.err);
    buf_free(&who);
    return rc;
}

static void process_destroy(struct cred_provider *self)
{
    struct process_provider *pp = (struct process_provider *)self;
    free(pp->profile);
    free(pp->label);
    free(pp->command);
    free(pp->name);
    free(pp);
}

static struct process_provider *process_alloc(const char *label, long timeout_ms)
{
    struct process_provider *pp = xcalloc(1, sizeof(*pp));
    pp->label = xstrdup(label);
    pp->timeout_ms = timeout_ms > 0 ? timeout_ms : CRED_PROCESS_TIMEOUT_MS;
    struct buf name = BUF_INIT;
    buf_printf(&name, "credential_process (%s)", label);
    pp->name = buf_steal(&name);
    pp->base.name = pp->name;
    pp->base.get = process_get;
    pp->base.destroy = process_destroy;
    return pp;
}

struct cred_provider *cred_process_new(const char *label, const char *command, long timeout_ms)
{
    struct process_provider *pp = process_alloc(label, timeout_ms);
    pp->command = xstrdup(command);
    return &pp->base;
}

struct cred_provider *cred_profile_process_new(const struct aws_shared_config *cfg,
                                               const char *profile)
{
    struct buf label = BUF_INIT;
    buf_printf(&label, "profile '%s'", profile);
    struct process_provider *pp = process_alloc(buf_cstr(&label), 0);
    buf_free(&label);
    pp->cfg = cfg;
    pp->profile = xstrdup(profile);
    return &pp->base;
}
