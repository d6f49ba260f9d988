/* The AWS shared config / credentials file format, as the SDKs read it.
 * Lines are: blank, comments (`#` or `;` first), section headers (`[` first),
 * continuations (whitespace first) or `key = value` properties. A property
 * with an empty value followed by indented `k = v` lines is a sub-section
 * (`s3 =`, `ecs =`): those lines belong to that property and never become
 * properties of the profile. */
#include "aws/profile_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#define MAX_FILE_BYTES (16L * 1024 * 1024)

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trim spaces and tabs at both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_blank((*s)[*n - 1]))
        (*n)--;
}

/* Cut a trailing comment. In property lines a comment must follow
 * whitespace (so `a=b#c` keeps its `#`); in section lines it need not. */
static void cut_comment(const char *s, size_t *n, int need_whitespace)
{
    int prev_blank = 0;
    for (size_t i = 0; i < *n; i++) {
        if ((s[i] == '#' || s[i] == ';') && (prev_blank || !need_whitespace)) {
            *n = i;
            break;
        }
        prev_blank = is_blank(s[i]);
    }
}

static int has_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_blank(s[i]))
            return 1;
    return 0;
}

static const char *kind_name(enum aws_profile_file_kind kind)
{
    return kind == AWS_PROFILE_FILE_CONFIG ? "config file" : "credentials file";
}

struct parser {
    struct aws_profile_file *f;
    const char *path;
    int line_no;
    long cur;          /* index of the profile being read; -1: an ignored section */
    int in_section;    /* a section header was seen */
    long cur_prop;     /* index of the last property in profile `cur`; -1: none */
    int have_property; /* a property line was seen in this section (even ignored) */
    int subsection;    /* the last property had an empty value */
};

static int parse_error(struct parser *p, struct err *err, const char *what)
{
    return err_set(err, ERR_CONFIG, "%s %s, line %d: %s", kind_name(p->f->kind), p->path,
                   p->line_no, what);
}

static long find_profile(const struct aws_profile_file *f, const char *name, size_t n)
{
    for (size_t i = 0; i < f->n_profiles; i++)
        if (strlen(f->profiles[i].name) == n && memcmp(f->profiles[i].name, name, n) == 0)
            return (long)i;
    return -1;
}

static long add_profile(struct aws_profile_file *f, const char *name, size_t n)
{
    long i = find_profile(f, name, n);
    if (i >= 0)
        return i;
    f->profiles = xgrow(f->profiles, &f->cap_profiles, f->n_profiles + 1, sizeof(*f->profiles));
    struct aws_profile *pr = &f->profiles[f->n_profiles];
    memset(pr, 0, sizeof(*pr));
    pr->name = xstrndup(name, n);
    return (long)f->n_profiles++;
}

static void clear_props(struct aws_profile *pr)
{
    for (size_t i = 0; i < pr->n_props; i++) {
        free(pr->props[i].key);
        free_secret(pr->props[i].value);
    }
    pr->n_props = 0;
}

/* Which profile a section header names, or -1 for a section that holds no
 * profile (`[sso-session x]`, `[services x]`, or a name the SDKs reject). */
static long open_section(struct parser *p, const char *s, size_t n)
{
    struct aws_profile_file *f = p->f;
    const char *name = s;
    size_t name_len = n;
    int prefixed = 0;

    if (f->kind == AWS_PROFILE_FILE_CONFIG) {
        if (n == 7 && memcmp(s, "default", 7) == 0) {
            /* plain [default] */
        } else if (n > 8 && memcmp(s, "profile", 7) == 0 && is_blank(s[7])) {
            name = s + 8;
            name_len = n - 8;
            trim(&name, &name_len);
            prefixed = 1;
        } else {
            if (!((n > 12 && memcmp(s, "sso-session", 11) == 0 && is_blank(s[11])) ||
                  (n > 9 && memcmp(s, "services", 8) == 0 && is_blank(s[8]))))
                log_warn("%s, line %d: ignoring section [%.*s]: profiles in the config file "
                         "are written [profile NAME] (only [default] has no prefix)",
                         p->path, p->line_no, (int)n, s);
            return -1;
        }
    }
    if (name_len == 0 || has_blank(name, name_len)) {
        log_warn("%s, line %d: ignoring section [%.*s]: a profile name has no spaces", p->path,
                 p->line_no, (int)n, s);
        return -1;
    }

    long i = add_profile(f, name, name_len);
    struct aws_profile *pr = &f->profiles[i];
    if (f->kind == AWS_PROFILE_FILE_CONFIG && strcmp(pr->name, "default") == 0) {
        /* As the SDKs do: [profile default] wins over [default]. */
        if (prefixed && !pr->from_profile_prefix) {
            clear_props(pr);
            pr->from_profile_prefix = 1;
        } else if (!prefixed && pr->from_profile_prefix) {
            log_warn("%s, line %d: ignoring [default] because [profile default] is also present",
                     p->path, p->line_no);
            return -1;
        }
    }
    return i;
}

static long set_prop(struct aws_profile *pr, const char *key, size_t key_len, const char *value,
                     size_t value_len)
{
    char *k = xstrndup(key, key_len);
    for (char *c = k; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (size_t i = 0; i < pr->n_props; i++) {
        if (strcmp(pr->props[i].key, k) == 0) {
            free(k);
            free_secret(pr->props[i].value);
            pr->props[i].value = xstrndup(value, value_len);
            return (long)i;
        }
    }
    pr->props = xgrow(pr->props, &pr->cap_props, pr->n_props + 1, sizeof(*pr->props));
    pr->props[pr->n_props].key = k;
    pr->props[pr->n_props].value = xstrndup(value, value_len);
    return (long)pr->n_props++;
}

/* Split "key = value" (comment already cut). */
static int split_property(struct parser *p, const char *s, size_t n, const char **key,
                          size_t *key_len, const char **value, size_t *value_len, struct err *err)
{
    const char *eq = memchr(s, '=', n);
    if (!eq)
        return parse_error(p, err, "expected 'name = value' (no '=' sign on this line)");
    *key = s;
    *key_len = (size_t)(eq - s);
    trim(key, key_len);
    *value = eq + 1;
    *value_len = n - (size_t)(eq - s) - 1;
    trim(value, value_len);
    if (*key_len == 0)
        return parse_error(p, err, "a property has no name before its '='");
    return 0;
}

static int property_line(struct parser *p, const char *s, size_t n, struct err *err)
{
    if (!p->in_section)
        return parse_error(p, err,
                           "a property before any section; start the file with a section "
                           "header such as [default]");
    trim(&s, &n);
    cut_comment(s, &n, 1);
    trim(&s, &n);
    const char *key, *value;
    size_t key_len, value_len;
    if (split_property(p, s, n, &key, &key_len, &value, &value_len, err) != 0)
        return -1;
    p->have_property = 1;
    p->subsection = value_len == 0;
    p->cur_prop = -1;
    if (p->cur >= 0)
        p->cur_prop = set_prop(&p->f->profiles[p->cur], key, key_len, value, value_len);
    return 0;
}

static int continuation_line(struct parser *p, const char *s, size_t n, struct err *err)
{
    if (!p->in_section || !p->have_property)
        return parse_error(p, err,
                           "an indented line that continues no property; remove the leading "
                           "whitespace or put it under a 'name =' line");
    trim(&s, &n);
    if (p->subsection) {
        cut_comment(s, &n, 1);
        trim(&s, &n);
        if (n == 0)
            return 0;
        const char *key, *value;
        size_t key_len, value_len;
        if (split_property(p, s, n, &key, &key_len, &value, &value_len, err) != 0)
            return -1;
    }
    if (p->cur >= 0 && p->cur_prop >= 0) {
        struct aws_profile_prop *prop = &p->f->profiles[p->cur].props[p->cur_prop];
        struct buf b = BUF_INIT;
        buf_puts(&b, prop->value);
        buf_putc(&b, '\n');
        buf_append(&b, s, n);
        free_secret(prop->value);
        prop->value = buf_steal(&b);
    }
    return 0;
}

static int section_line(struct parser *p, const char *s, size_t n, struct err *err)
{
    cut_comment(s, &n, 0);
    trim(&s, &n);
    if (n < 2 || s[n - 1] != ']')
        return parse_error(p, err, "a section header must end with ']'");
    s++;
    n -= 2;
    trim(&s, &n);
    p->in_section = 1;
    p->have_property = 0;
    p->subsection = 0;
    p->cur_prop = -1;
    p->cur = open_section(p, s, n);
    return 0;
}

int aws_profile_file_parse(struct aws_profile_file *f, enum aws_profile_file_kind kind,
                           const char *path, const char *text, size_t len, struct err *err)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->path = xstrdup(path);
    f->exists = 1;
    struct parser p = {.f = f, .path = path, .cur = -1, .cur_prop = -1};
    size_t pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        p.line_no++;
        if (n && line[n - 1] == '\r')
            n--;
        if (n >= 3 && p.line_no == 1 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3; /* UTF-8 byte order mark */
            n -= 3;
        }
        const char *t = line;
        size_t tn = n;
        trim(&t, &tn);
        int rc = 0;
        if (tn == 0 || t[0] == '#' || t[0] == ';')
            continue;
        if (memchr(line, '\0', n)) {
            rc = parse_error(&p, err, "the line holds a NUL byte; is this a text file?");
        } else if (line[0] == '[') {
            rc = section_line(&p, line, n, err);
        } else if (is_blank(line[0])) {
            rc = continuation_line(&p, line, n, err);
        } else {
            rc = property_line(&p, line, n, err);
        }
        if (rc != 0) {
            aws_profile_file_free(f);
            return -1;
        }
    }
    return 0;
}

char *aws_expand_home(const char *path)
{
    if (!path || path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
        return xstrdup(path);
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw && pw->pw_dir ? pw->pw_dir : "/";
    }
    struct buf b = BUF_INIT;
    buf_puts(&b, home);
    buf_puts(&b, path + 1);
    return buf_steal(&b);
}

int aws_profile_file_load(struct aws_profile_file *f, enum aws_profile_file_kind kind,
                          const char *path, struct err *err)
{
    memset(f, 0, sizeof(*f));
    char *full = aws_expand_home(path);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            f->kind = kind;
            f->path = full;
            return 0;
        }
        err_set(err, ERR_CONFIG, "cannot read AWS %s %s: %s; fix its permissions or point %s "
                "elsewhere", kind_name(kind), full, strerror(e),
                kind == AWS_PROFILE_FILE_CONFIG ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE");
        free(full);
        return -1;
    }
    struct buf text = BUF_INIT;
    char chunk[8192];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            buf_free_secret(&text);
            err_set(err, ERR_CONFIG, "cannot read AWS %s %s: %s; fix it or point %s elsewhere",
                    kind_name(kind), full, strerror(e),
                    kind == AWS_PROFILE_FILE_CONFIG ? "AWS_CONFIG_FILE"
                                                    : "AWS_SHARED_CREDENTIALS_FILE");
            free(full);
            return -1;
        }
        if (got == 0)
            break;
        if ((long)text.len + got > MAX_FILE_BYTES) {
            close(fd);
            buf_free_secret(&text);
            err_set(err, ERR_CONFIG, "AWS %s %s is larger than %ld bytes; is it the right file?",
                    kind_name(kind), full, MAX_FILE_BYTES);
            free(full);
            return -1;
        }
        buf_append(&text, chunk, (size_t)got);
    }
    close(fd);
    secure_zero(chunk, sizeof(chunk));
    int rc = aws_profile_file_parse(f, kind, full, buf_cstr(&text), text.len, err);
    buf_free_secret(&text);
    free(full);
    if (rc == 0) {
        /* Scrub these from any text that might echo them later. */
        for (size_t i = 0; i < f->n_profiles; i++) {
            log_add_secret(aws_profile_get(&f->profiles[i], "aws_secret_access_key"));
            log_add_secret(aws_profile_get(&f->profiles[i], "aws_session_token"));
        }
    }
    return rc;
}

void aws_profile_file_free(struct aws_profile_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_profiles; i++) {
        clear_props(&f->profiles[i]);
        free(f->profiles[i].props);
        free(f->profiles[i].name);
    }
    free(f->profiles);
    free(f->path);
    memset(f, 0, sizeof(*f));
}

const struct aws_profile *aws_profile_file_find(const struct aws_profile_file *f,
                                                const char *name)
{
    if (!f || !name)
        return NULL;
    long i = find_profile(f, name, strlen(name));
    return i >= 0 ? &f->profiles[i] : NULL;
}

const char *aws_profile_get(const struct aws_profile *p, const char *key)
{
    if (!p)
        return NULL;
    for (size_t i = 0; i < p->n_props; i++)
        if (strcasecmp(p->props[i].key, key) == 0)
            return p->props[i].value;
    return NULL;
}
