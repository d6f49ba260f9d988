/* The AWS shared config / credentials file format, as the SDKs read it
 * (the cross-SDK parser cases in tests/vectors/profile-parser).
 * Lines are: blank, comments (`#` or `;` first), section headers (`[` first),
 * continuations (whitespace first) or `key = value` properties. A property
 * with an empty value followed by indented `k = v` lines has sub-properties
 * (`s3 =`, `ecs =`): those lines belong to that property and never become
 * properties of the profile. Section and property names are identifiers
 * (letters, digits, - / . % @ _ : +); others are ignored with a warning. */
#include "aws/profile_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"
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

static int is_identifier(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("-/.%@_:+", s[i]))
            return 0;
    return 1;
}

static const char *kind_name(enum aws_profile_file_kind kind)
{
    return kind == AWS_PROFILE_FILE_CONFIG ? "config file" : "credentials file";
}

enum section_kind { SECTION_IGNORED, SECTION_PROFILE, SECTION_SSO_SESSION, SECTION_SERVICES };

struct parser {
    struct aws_profile_file *f;
    const char *path;
    int line_no;
    enum section_kind kind; /* of the section being read */
    long cur;               /* its index in the list of its kind; -1: an ignored section */
    int in_section;         /* a section header was seen */
    long cur_prop;          /* index of the last property in profile `cur`; -1: none */
    int have_property;      /* a property line was seen in this section (even ignored) */
    int subsection;         /* the last property had an empty value */
};

static int parse_error(struct parser *p, struct err *err, const char *what)
{
    return err_set(err, ERR_CONFIG, "%s %s, line %d: %s", kind_name(p->f->kind), p->path,
                   p->line_no, what);
}

static long find_section(const struct aws_profile *v, size_t count, const char *name, size_t n)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(v[i].name) == n && memcmp(v[i].name, name, n) == 0)
            return (long)i;
    return -1;
}

/* The section of that name in the list (*v, *count), added if new. */
static long add_section(struct aws_profile **v, size_t *count, size_t *cap, const char *name,
                        size_t n)
{
    long i = find_section(*v, *count, name, n);
    if (i >= 0)
        return i;
    *v = xgrow(*v, cap, *count + 1, sizeof(**v));
    struct aws_profile *pr = &(*v)[*count];
    memset(pr, 0, sizeof(*pr));
    pr->name = xstrndup(name, n);
    return (long)(*count)++;
}

/* The section being read, or NULL when it is ignored. */
static struct aws_profile *current(const struct parser *p)
{
    if (p->cur < 0)
        return NULL;
    switch (p->kind) {
    case SECTION_PROFILE:
        return &p->f->profiles[p->cur];
    case SECTION_SSO_SESSION:
        return &p->f->sso_sessions[p->cur];
    case SECTION_SERVICES:
        return &p->f->services[p->cur];
    case SECTION_IGNORED:
        break;
    }
    return NULL;
}

/* `keyword NAME` (keyword, then blanks, then the name): the name, trimmed. */
static int prefixed(const char *s, size_t n, const char *keyword, const char **name,
                    size_t *name_len)
{
    size_t k = strlen(keyword);
    if (n <= k || memcmp(s, keyword, k) != 0 || !is_blank(s[k]))
        return 0;
    *name = s + k;
    *name_len = n - k;
    trim(name, name_len);
    return 1;
}

static void clear_props(struct aws_profile *pr)
{
    for (size_t i = 0; i < pr->n_props; i++) {
        free(pr->props[i].key);
        free_secret(pr->props[i].value);
    }
    pr->n_props = 0;
}

/* Which section a header opens: sets p->kind and p->cur (-1 for a section
 * the SDKs ignore: a config-file profile without its `profile` prefix, or a
 * name that is not an identifier). */
static void open_section(struct parser *p, const char *s, size_t n)
{
    struct aws_profile_file *f = p->f;
    const char *name = s;
    size_t name_len = n;
    int with_prefix = 0;
    p->kind = SECTION_PROFILE;
    p->cur = -1;

    if (f->kind == AWS_PROFILE_FILE_CONFIG) {
        if (n == 7 && memcmp(s, "default", 7) == 0) {
            /* plain [default] */
        } else if (prefixed(s, n, "profile", &name, &name_len)) {
            with_prefix = 1;
        } else if (prefixed(s, n, "sso-session", &name, &name_len)) {
            p->kind = SECTION_SSO_SESSION;
        } else if (prefixed(s, n, "services", &name, &name_len)) {
            p->kind = SECTION_SERVICES;
        } else {
            log_warn("%s, line %d: ignoring section [%.*s]: profiles in the config file "
                     "are written [profile NAME] (only [default] has no prefix)",
                     p->path, p->line_no, (int)n, s);
            p->kind = SECTION_IGNORED;
            return;
        }
    }
    if (!is_identifier(name, name_len)) {
        log_warn("%s, line %d: ignoring section [%.*s]: a name is made of letters, digits and "
                 "- / . %% @ _ : + (no spaces)",
                 p->path, p->line_no, (int)n, s);
        p->kind = SECTION_IGNORED;
        return;
    }
    if (p->kind == SECTION_SSO_SESSION) {
        p->cur =
            add_section(&f->sso_sessions, &f->n_sso_sessions, &f->cap_sso_sessions, name, name_len);
        return;
    }
    if (p->kind == SECTION_SERVICES) {
        p->cur = add_section(&f->services, &f->n_services, &f->cap_services, name, name_len);
        return;
    }
    long i = add_section(&f->profiles, &f->n_profiles, &f->cap_profiles, name, name_len);
    struct aws_profile *pr = &f->profiles[i];
    if (f->kind == AWS_PROFILE_FILE_CONFIG && strcmp(pr->name, "default") == 0) {
        /* As the SDKs do: [profile default] wins over [default]. */
        if (with_prefix && !pr->from_profile_prefix) {
            clear_props(pr);
            pr->from_profile_prefix = 1;
        } else if (!with_prefix && pr->from_profile_prefix) {
            log_warn("%s, line %d: ignoring [default] because [profile default] is also present",
                     p->path, p->line_no);
            return;
        }
    }
    p->cur = i;
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

/* Split "key = value" (comment already cut); `what` is "property" or
 * "sub-property". The messages hold the cross-SDK cases' wording. */
static int split_property(struct parser *p, const char *what, const char *s, size_t n,
                          const char **key, size_t *key_len, const char **value, size_t *value_len,
                          struct err *err)
{
    char why[128];
    const char *eq = memchr(s, '=', n);
    if (!eq) {
        snprintf(why, sizeof(why), "expected an '=' sign defining a %s ('name = value')", what);
        return parse_error(p, err, why);
    }
    *key = s;
    *key_len = (size_t)(eq - s);
    trim(key, key_len);
    *value = eq + 1;
    *value_len = n - (size_t)(eq - s) - 1;
    trim(value, value_len);
    if (*key_len == 0) {
        snprintf(why, sizeof(why), "%s did not have a name (nothing before its '=')", what);
        return parse_error(p, err, why);
    }
    return 0;
}

static int property_line(struct parser *p, const char *s, size_t n, struct err *err)
{
    if (!p->in_section)
        return parse_error(p, err,
                           "expected a profile definition before this property; start the file "
                           "with a section header such as [default]");
    trim(&s, &n);
    cut_comment(s, &n, 1);
    trim(&s, &n);
    const char *key, *value;
    size_t key_len, value_len;
    if (split_property(p, "property", s, n, &key, &key_len, &value, &value_len, err) != 0)
        return -1;
    p->have_property = 1;
    p->subsection = value_len == 0;
    p->cur_prop = -1;
    struct aws_profile *sec = current(p);
    if (sec && !is_identifier(key, key_len))
        log_warn("%s, line %d: ignoring a property whose name is not made of letters, digits "
                 "and - / . %% @ _ : +",
                 p->path, p->line_no);
    else if (sec)
        p->cur_prop = set_prop(sec, key, key_len, value, value_len);
    return 0;
}

static int continuation_line(struct parser *p, const char *s, size_t n, struct err *err)
{
    if (!p->in_section)
        return parse_error(p, err,
                           "expected a profile definition before this indented line; start the "
                           "file with a section header such as [default]");
    if (!p->have_property)
        return parse_error(p, err,
                           "expected a property definition, found continuation (an indented "
                           "line that continues no property); remove the leading whitespace "
                           "or put it under a 'name =' line");
    trim(&s, &n);
    if (p->subsection) {
        cut_comment(s, &n, 1);
        trim(&s, &n);
        if (n == 0)
            return 0;
        const char *key, *value;
        size_t key_len, value_len;
        if (split_property(p, "sub-property", s, n, &key, &key_len, &value, &value_len, err) != 0)
            return -1;
    }
    struct aws_profile *sec = current(p);
    if (sec && p->cur_prop >= 0) {
        struct aws_profile_prop *prop = &sec->props[p->cur_prop];
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
        return parse_error(p, err, "a profile definition must end with ']'");
    s++;
    n -= 2;
    trim(&s, &n);
    p->in_section = 1;
    p->have_property = 0;
    p->subsection = 0;
    p->cur_prop = -1;
    open_section(p, s, n);
    return 0;
}

int aws_profile_file_parse(struct aws_profile_file *f, enum aws_profile_file_kind kind,
                           const char *path, const char *text, size_t len, struct err *err)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->path = xstrdup(path);
    f->exists = 1;
    struct parser p = {.f = f, .path = path, .kind = SECTION_IGNORED, .cur = -1, .cur_prop = -1};
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
        err_set(err, ERR_CONFIG,
                "cannot read AWS %s %s: %s; fix its permissions or point %s "
                "elsewhere",
                kind_name(kind), full, strerror(e),
                kind == AWS_PROFILE_FILE_CONFIG ? "AWS_CONFIG_FILE"
                                                : "AWS_SHARED_CREDENTIALS_FILE");
        free(full);
        return -1;
    }
    struct buf text = BUF_INIT;
    int e;
    enum file_read rd = file_read_all(fd, &text, (size_t)MAX_FILE_BYTES, &e);
    close(fd);
    if (rd != FILE_READ_OK) {
        buf_free_secret(&text);
        if (rd == FILE_READ_TOO_BIG)
            err_set(err, ERR_CONFIG, "AWS %s %s is larger than %ld bytes; is it the right file?",
                    kind_name(kind), full, MAX_FILE_BYTES);
        else
            err_set(err, ERR_CONFIG, "cannot read AWS %s %s: %s; fix it or point %s elsewhere",
                    kind_name(kind), full, strerror(e),
                    kind == AWS_PROFILE_FILE_CONFIG ? "AWS_CONFIG_FILE"
                                                    : "AWS_SHARED_CREDENTIALS_FILE");
        free(full);
        return -1;
    }
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

static void free_sections(struct aws_profile *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        clear_props(&v[i]);
        free(v[i].props);
        free(v[i].name);
    }
    free(v);
}

void aws_profile_file_free(struct aws_profile_file *f)
{
    if (!f)
        return;
    free_sections(f->profiles, f->n_profiles);
    free_sections(f->sso_sessions, f->n_sso_sessions);
    free_sections(f->services, f->n_services);
    free(f->path);
    memset(f, 0, sizeof(*f));
}

static const struct aws_profile *lookup(const struct aws_profile *v, size_t n, const char *name)
{
    if (!name)
        return NULL;
    long i = find_section(v, n, name, strlen(name));
    return i >= 0 ? &v[i] : NULL;
}

const struct aws_profile *aws_profile_file_find(const struct aws_profile_file *f, const char *name)
{
    return f ? lookup(f->profiles, f->n_profiles, name) : NULL;
}

const struct aws_profile *aws_profile_file_find_sso_session(const struct aws_profile_file *f,
                                                            const char *name)
{
    return f ? lookup(f->sso_sessions, f->n_sso_sessions, name) : NULL;
}

const struct aws_profile *aws_profile_file_find_services(const struct aws_profile_file *f,
                                                         const char *name)
{
    return f ? lookup(f->services, f->n_services, name) : NULL;
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

char *aws_profile_get_sub(const struct aws_profile *p, const char *key, const char *sub_key)
{
    const char *v = aws_profile_get(p, key);
    if (!v)
        return NULL;
    /* One "name = value" per line after the first (empty) one. */
    for (const char *line = strchr(v, '\n'); line; line = strchr(line, '\n')) {
        line++;
        size_t n = strcspn(line, "\n");
        const char *eq = memchr(line, '=', n);
        if (!eq)
            continue;
        const char *k = line, *val = eq + 1;
        size_t kn = (size_t)(eq - line), vn = n - kn - 1;
        trim(&k, &kn);
        trim(&val, &vn);
        if (kn == strlen(sub_key) && strncasecmp(k, sub_key, kn) == 0)
            return xstrndup(val, vn);
    }
    return NULL;
}
