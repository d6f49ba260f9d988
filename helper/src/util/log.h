/* Logging to stderr (or a sink), with redaction of registered secrets.
 * Secrets are never passed to the logger on purpose; the redaction is a
 * second line of defence for values that arrive inside other text (an echoed
 * request, an error message from a credential process). */
#ifndef ECSR_LOG_H
#define ECSR_LOG_H

#include <stddef.h>

enum log_level {
    LOG_ERROR = 0,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
    LOG_TRACE,
};

typedef void (*log_sink_fn)(enum log_level level, const char *line, void *userdata);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_enabled(enum log_level level);
/* NULL restores the default sink (stderr, "ecs-rollout: " prefix). */
void log_set_sink(log_sink_fn fn, void *userdata);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Remember a value that must never be printed (secret keys, session tokens,
 * web identity tokens). Values shorter than 4 bytes are ignored. */
void log_add_secret(const char *secret);
/* Replace every registered secret inside s with "****", in place. */
void log_scrub(char *s);
/* log_scrub, and also mask the end of s when it is the start of a secret
 * (4 bytes or more): for text that was cut before it could be scrubbed
 * whole. */
void log_scrub_cut(char *s);
/* Copy src into dst (at most cap - 1 bytes and a NUL), scrubbed before it is
 * cut, so that a cut never leaves part of a secret behind. */
void log_scrub_copy(char *dst, size_t cap, const char *src);
/* Forget every registered secret (tests). */
void log_clear_secrets(void);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_TRACE, __VA_ARGS__)

#endif
