/* Helpers for the config, credentials and STS tests: a clean environment,
 * temporary files, a log capture and a fake STS. Header-only (static
 * inline) so that only the tests that include it carry it. */
#ifndef ECSR_TEST_CREDS_SUPPORT_H
#define ECSR_TEST_CREDS_SUPPORT_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/config.h"
#include "aws/creds.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

extern char **environ;

/* Unset every AWS_* and ECS_ROLLOUT_* variable, then point the shared
 * files at paths that do not exist. */
static inline void tenv_clear(void)
{
    for (;;) {
        char name[256] = "";
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "AWS_", 4) == 0 || strncmp(*e, "ECS_ROLLOUT_", 12) == 0) {
                size_t n = strcspn(*e, "=");
                if (n < sizeof(name)) {
                    memcpy(name, *e, n);
                    name[n] = '\0';
                    break;
                }
            }
        }
        if (!name[0])
            break;
        unsetenv(name);
    }
    setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

/* A fresh temporary directory; free with tdir_remove. */
static inline char *tdir_new(void)
{
    const char *base = getenv("TMPDIR");
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s/ecsr-creds-XXXXXX", base && *base ? base : "/tmp");
    char *dir = buf_steal(&b);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
    return dir;
}

/* Write `content` to dir/name (mode 0600); returns the path (caller frees). */
static inline char *tdir_write(const char *dir, const char *name, const char *content)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s/%s", dir, name);
    char *path = buf_steal(&b);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        abort();
    }
    fputs(content, f);
    fclose(f);
    chmod(path, 0700);
    return path;
}

static inline void tdir_remove(char *dir)
{
    if (!dir)
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            struct buf b = BUF_INIT;
            buf_printf(&b, "%s/%s", dir, de->d_name);
            struct stat st;
            if (lstat(buf_cstr(&b), &st) == 0 && S_ISDIR(st.st_mode))
                tdir_remove(buf_steal(&b));
            else
                unlink(buf_cstr(&b));
            buf_free(&b);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

/* Write the two files (NULL: none) into a new directory and load them. */
static inline char *load_files(struct aws_shared_config *sc, const char *config, const char *creds)
{
    tenv_clear();
    char *dir = tdir_new();
    if (config) {
        char *p = tdir_write(dir, "config", config);
        setenv("AWS_CONFIG_FILE", p, 1);
        free(p);
    }
    if (creds) {
        char *p = tdir_write(dir, "credentials", creds);
        setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
        free(p);
    }
    struct err err;
    if (aws_shared_config_load(sc, &err) != 0) {
        fprintf(stderr, "load: %s\n", err.message);
        abort();
    }
    return dir;
}

/* Everything logged while capturing, one line each. */
static struct buf tlog_lines;
static inline void tlog_sink(enum log_level level, const char *line, void *ud)
{
    (void)level;
    (void)ud;
    buf_puts(&tlog_lines, line);
    buf_putc(&tlog_lines, '\n');
}
static inline void tlog_start(void)
{
    buf_free(&tlog_lines);
    log_set_sink(tlog_sink, NULL);
    log_set_level(LOG_TRACE);
}
static inline const char *tlog_text(void)
{
    return buf_cstr(&tlog_lines);
}
static inline void tlog_stop(void)
{
    log_set_sink(NULL, NULL);
    log_set_level(LOG_WARN);
    buf_free(&tlog_lines);
}

/* A fake STS for the role providers: records what it was asked and answers
 * with fixed credentials or a fixed error. */
struct fake_sts {
    int calls_assume, calls_web;
    char role_arn[256], session_name[128], external_id[128], token[1024];
    char source_key_id[128]; /* the access key id of the source credentials */
    char history[1024];      /* "role<-source key id;" per AssumeRole call */
    int duration;
    /* the answer */
    const char *key_id, *secret, *session_token;
    time_t expiration;
    const char *fail_code, *fail_message; /* when set: an AWS error */
    struct cred_sts_ops ops;
};

static inline void fake_record(struct fake_sts *f, const struct sts_role_request *req)
{
    snprintf(f->role_arn, sizeof(f->role_arn), "%s", req->role_arn ? req->role_arn : "");
    snprintf(f->session_name, sizeof(f->session_name), "%s",
             req->role_session_name ? req->role_session_name : "");
    snprintf(f->external_id, sizeof(f->external_id), "%s",
             req->external_id ? req->external_id : "");
    snprintf(f->token, sizeof(f->token), "%s",
             req->web_identity_token ? req->web_identity_token : "");
    f->duration = req->duration_seconds;
}

static inline int fake_answer(struct fake_sts *f, const char *action, struct aws_credentials *out,
                              struct err *err)
{
    if (f->fail_code) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s: %s", action, f->fail_message);
        return err_service(err, 403, f->fail_code, msg, "req-fake-1");
    }
    out->access_key_id = xstrdup(f->key_id);
    out->secret_access_key = xstrdup(f->secret);
    out->session_token = xstrdup(f->session_token);
    out->expiration = f->expiration;
    return 0;
}

static inline int fake_assume_role(void *ctx, struct cred_provider *source,
                                   const struct sts_role_request *req, struct aws_credentials *out,
                                   struct err *err)
{
    struct fake_sts *f = ctx;
    f->calls_assume++;
    fake_record(f, req);
    struct aws_credentials src;
    if (cred_provider_get(source, &src, err) != 0)
        return -1;
    snprintf(f->source_key_id, sizeof(f->source_key_id), "%s", src.access_key_id);
    size_t n = strlen(f->history);
    snprintf(f->history + n, sizeof(f->history) - n, "%s<-%s;", req->role_arn, src.access_key_id);
    aws_credentials_free(&src);
    return fake_answer(f, "AssumeRole", out, err);
}

static inline int fake_assume_web(void *ctx, const struct sts_role_request *req,
                                  struct aws_credentials *out, struct err *err)
{
    struct fake_sts *f = ctx;
    f->calls_web++;
    fake_record(f, req);
    return fake_answer(f, "AssumeRoleWithWebIdentity", out, err);
}

static inline void fake_sts_init(struct fake_sts *f)
{
    memset(f, 0, sizeof(*f));
    f->key_id = "ASIAROLEKEY";
    f->secret = "roleSecretAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    f->session_token = "roleSessionTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    f->expiration = time(NULL) + 3600;
    f->ops.assume_role = fake_assume_role;
    f->ops.assume_role_with_web_identity = fake_assume_web;
    f->ops.ctx = f;
}

#endif
