/* What the credential providers share: absent reasons, times, the JSON
 * credential shape, token files and STS error messages. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/creds/providers.h"
#include "aws/json_limit.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"

#define MAX_TOKEN_BYTES (64 * 1024)

int cred_absent(int *absent, struct err *err, const char *fmt, ...)
{
    *absent = 1;
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, ERR_CREDENTIALS, fmt, ap);
    va_end(ap);
    return -1;
}

int cred_err_append(struct err *err, const char *fmt, ...)
{
    struct buf full = BUF_INIT;
    buf_puts(&full, err->message);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&full, fmt, ap);
    va_end(ap);
    log_scrub_copy(err->message, sizeof(err->message), buf_cstr(&full));
    buf_free_secret(&full);
    return -1;
}

const char *cred_getenv(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int expect(const char **p, const char *chars)
{
    if (**p && strchr(chars, **p)) {
        (*p)++;
        return 0;
    }
    return -1;
}

int cred_parse_time(const char *s, time_t *out)
{
    if (!s)
        return -1;
    const char *p = s;
    int year, mon, day, hour, min, sec;
    if (digits(&p, 4, &year) || expect(&p, "-") || digits(&p, 2, &mon) || expect(&p, "-") ||
        digits(&p, 2, &day) || expect(&p, "Tt ") || digits(&p, 2, &hour) || expect(&p, ":") ||
        digits(&p, 2, &min) || expect(&p, ":") || digits(&p, 2, &sec))
        return -1;
    if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600L + om * 60L);
    } else {
        return -1;
    }
    if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
        sec > 60)
        return -1;
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    /* Expirations are after 1970: 0 means "never expires" in struct
     * aws_credentials, and an earlier time is no credential's. */
    if (t - offset <= 0)
        return -1;
    *out = t - offset;
    return 0;
}

void cred_format_time(time_t t, char out[32])
{
    /* The year with four digits always (strftime's %Y gives "99" for the
     * year 99), so that what is printed parses back. */
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
        snprintf(out, 32, "@%lld", (long long)t);
    else if (snprintf(out, 32, "%04d", tm.tm_year + 1900) != 4 ||
             strftime(out + 4, 28, "-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "@%lld", (long long)t);
}

static const char *json_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

int cred_from_json(const cJSON *obj, const char *token_key, const char *who,
                   struct aws_credentials *out, struct err *err)
{
    if (!cJSON_IsObject(obj))
        return err_set(err, ERR_CREDENTIALS, "%s: the answer is not a JSON object", who);
    const char *key_id = json_string(obj, "AccessKeyId");
    const char *secret = json_string(obj, "SecretAccessKey");
    const char *token = token_key ? json_string(obj, token_key) : NULL;
    const char *expiration = json_string(obj, "Expiration");
    log_add_secret(secret);
    log_add_secret(token);
    if (!key_id || !*key_id)
        return err_set(err, ERR_CREDENTIALS, "%s: the answer has no AccessKeyId string", who);
    if (!secret || !*secret)
        return err_set(err, ERR_CREDENTIALS, "%s: the answer has no SecretAccessKey string", who);
    time_t exp = 0;
    if (cJSON_GetObjectItemCaseSensitive(obj, "Expiration") &&
        !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "Expiration")) &&
        (!expiration || cred_parse_time(expiration, &exp) != 0))
        return err_set(err, ERR_CREDENTIALS,
                       "%s: Expiration is not an ISO 8601 time such as 2024-05-01T12:00:00Z", who);
    out->access_key_id = xstrdup(key_id);
    out->secret_access_key = xstrdup(secret);
    out->session_token = token && *token ? xstrdup(token) : NULL;
    out->expiration = exp;
    return 0;
}

static void wipe_strings(cJSON *json)
{
    for (cJSON *c = json; c; c = c->next) {
        if (c->child)
            wipe_strings(c->child);
        if (c->valuestring)
            secure_zero(c->valuestring, strlen(c->valuestring));
    }
}

void cred_json_free(cJSON *json)
{
    if (!json)
        return;
    wipe_strings(json->child);
    if (json->valuestring)
        secure_zero(json->valuestring, strlen(json->valuestring));
    cJSON_Delete(json);
}

cJSON *cred_json_parse(const char *text, size_t len, const char *who, const char *what,
                       struct err *err)
{
    if (memchr(text, '\0', len)) {
        err_set(err, ERR_CREDENTIALS, "%s %s a NUL byte where JSON was expected", who, what);
        return NULL;
    }
    const char *end = NULL;
    int too_big = 0;
    cJSON *json = json_parse_limited(text, len + 1, json_tree_budget_for(len), &end, 1, &too_big);
    if (json)
        return json;
    if (too_big) {
        err_set(err, ERR_CREDENTIALS,
                "%s %s JSON that would take too much memory once parsed (too many values for "
                "a credentials document)",
                who, what);
        return NULL;
    }
    int line = 1, col = 1;
    for (const char *c = text; end && c < end && c < text + len; c++) {
        if (*c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    err_set(err, ERR_CREDENTIALS, "%s %s invalid JSON at line %d, column %d", who, what, line, col);
    return NULL;
}

int cred_read_token_file(const char *path, const char *what, char **out, struct err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, ERR_CREDENTIALS, "cannot read %s %s: %s", what, path, strerror(errno));
    struct buf b = BUF_INIT;
    int e;
    enum file_read rc = file_read_all(fd, &b, MAX_TOKEN_BYTES, &e);
    close(fd);
    if (rc != FILE_READ_OK) {
        buf_free_secret(&b);
        if (rc == FILE_READ_TOO_BIG)
            return err_set(err, ERR_CREDENTIALS, "%s %s is larger than %d bytes; is it a token?",
                           what, path, MAX_TOKEN_BYTES);
        return err_set(err, ERR_CREDENTIALS, "cannot read %s %s: %s", what, path, strerror(e));
    }
    while (b.len && isspace((unsigned char)b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    if (b.len == 0) {
        buf_free_secret(&b);
        return err_set(err, ERR_CREDENTIALS,
                       "%s %s is empty; whatever writes the token has not "
                       "written it (yet)",
                       what, path);
    }
    if (memchr(b.data, '\0', b.len) || strpbrk(b.data, "\r\n")) {
        buf_free_secret(&b);
        return err_set(err, ERR_CREDENTIALS,
                       "%s %s holds more than one line; it must hold just "
                       "the token",
                       what, path);
    }
    if (text_has_control(b.data)) {
        buf_free_secret(&b);
        return err_set(err, ERR_CREDENTIALS,
                       "%s %s holds a control character; it must hold just the token (the "
                       "value is not shown)",
                       what, path);
    }
    *out = buf_steal(&b);
    log_add_secret(*out);
    return 0;
}

static const char *sts_hint(const char *code)
{
    if (!strcmp(code, "AccessDenied") || !strcmp(code, "AccessDeniedException"))
        return "check that the role's trust policy allows the caller and that the caller may "
               "call sts:AssumeRole on it";
    if (!strcmp(code, "ExpiredToken") || !strcmp(code, "ExpiredTokenException"))
        return "the credentials or token used to assume the role have expired; refresh them";
    if (!strcmp(code, "InvalidIdentityToken"))
        return "the web identity token was rejected; check its issuer, audience and the role's "
               "trust policy";
    if (!strcmp(code, "IDPRejectedClaim"))
        return "the identity provider's claims do not satisfy the role's trust policy";
    if (!strcmp(code, "InvalidClientTokenId") || !strcmp(code, "SignatureDoesNotMatch"))
        return "the source credentials are not valid; check the access key id and secret";
    if (!strcmp(code, "RegionDisabledException"))
        return "STS is not activated in this region; activate it or use another region";
    if (!strcmp(code, "ValidationError"))
        return "check role_arn, role_session_name and duration_seconds";
    return NULL;
}

void cred_wrap_sts_error(struct err *err, const char *who, const char *action)
{
    struct buf msg = BUF_INIT;
    const char *m = err->message;
    size_t alen = strlen(action);
    /* The client starts its messages with the action name. */
    if (strncmp(m, action, alen) == 0 && m[alen] == ':' && m[alen + 1] == ' ')
        m += alen + 2;
    buf_printf(&msg, "%s: %s failed: ", who, action);
    if (err->kind == ERR_SERVICE && err->code[0]) {
        const char *hint = sts_hint(err->code);
        buf_printf(&msg, "%s: %s", err->code, m);
        if (hint)
            buf_printf(&msg, "; %s", hint);
        err->kind = ERR_CREDENTIALS;
    } else {
        buf_puts(&msg, m);
    }
    log_scrub_copy(err->message, sizeof(err->message), buf_cstr(&msg));
    buf_free_secret(&msg);
}
