#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

static enum log_level current_level = LOG_WARN;
static log_sink_fn sink;
static void *sink_userdata;

static char **secrets;
static size_t n_secrets, cap_secrets;

void log_set_level(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

int log_enabled(enum log_level level)
{
    return level <= current_level;
}

void log_set_sink(log_sink_fn fn, void *userdata)
{
    sink = fn;
    sink_userdata = userdata;
}

static const char *level_name(enum log_level level)
{
    switch (level) {
    case LOG_ERROR:
        return "error";
    case LOG_WARN:
        return "warning";
    case LOG_INFO:
        return "info";
    case LOG_DEBUG:
        return "debug";
    case LOG_TRACE:
        return "trace";
    }
    return "log";
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    struct buf line = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&line, fmt, ap);
    va_end(ap);
    if (line.data)
        log_scrub(line.data);
    if (sink)
        sink(level, buf_cstr(&line), sink_userdata);
    else
        fprintf(stderr, "ecs-rollout: %s: %s\n", level_name(level), buf_cstr(&line));
    buf_free(&line);
}

void log_add_secret(const char *secret)
{
    if (!secret || strlen(secret) < 4)
        return;
    for (size_t i = 0; i < n_secrets; i++)
        if (strcmp(secrets[i], secret) == 0)
            return;
    secrets = xgrow(secrets, &cap_secrets, n_secrets + 1, sizeof(*secrets));
    secrets[n_secrets++] = xstrdup(secret);
}

void log_scrub(char *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < n_secrets; i++) {
        size_t slen = strlen(secrets[i]);
        char *hit;
        while ((hit = strstr(s, secrets[i])) != NULL) {
            /* "****" is never longer than a registered secret. */
            memcpy(hit, "****", 4);
            memmove(hit + 4, hit + slen, strlen(hit + slen) + 1);
        }
    }
}

void log_scrub_cut(char *s)
{
    log_scrub(s);
    if (!s)
        return;
    size_t len = strlen(s);
    for (size_t i = 0; i < n_secrets; i++) {
        size_t slen = strlen(secrets[i]);
        /* The longest tail of s that begins secrets[i] (a whole one is
         * already gone). */
        for (size_t k = slen - 1 < len ? slen - 1 : len; k >= 4; k--) {
            if (memcmp(s + len - k, secrets[i], k) == 0) {
                memcpy(s + len - k, "****", 5);
                len = len - k + 4;
                break;
            }
        }
    }
}

void log_scrub_copy(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    char *copy = xstrdup(src ? src : "");
    log_scrub(copy);
    snprintf(dst, cap, "%s", copy);
    free_secret(copy);
}

void log_clear_secrets(void)
{
    for (size_t i = 0; i < n_secrets; i++)
        free_secret(secrets[i]);
    free(secrets);
    secrets = NULL;
    n_secrets = cap_secrets = 0;
}
