/* The shared config / credentials file parser (aws/profile_file.c).
 *
 * Input: byte 0 picks the file kind (even: config, odd: credentials); the
 * rest is the file's text.
 *
 * Properties: a parsed file has unique profile (sso-session, services)
 * names made of letters, digits and - / . % @ _ : + only; keys are unique, lower case, trimmed and
 * found again by aws_profile_get in any case; values have no blanks at either end. A failure is
 * ERR_CONFIG naming the line, and its message never quotes the line: the same text with every
 * letter and digit of that line replaced fails with the very same message. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/profile_file.h"
#include "fuzz.h"

#define PATH "/home/user/.aws/file"

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

static void check_sections(const struct aws_profile_file *f, const struct aws_profile *v, size_t n,
                           const struct aws_profile *(*find)(const struct aws_profile_file *,
                                                             const char *))
{
    for (size_t i = 0; i < n; i++) {
        const struct aws_profile *p = &v[i];
        FUZZ_CHECK(p->name && p->name[0], "section %zu has no name", i);
        for (const char *c = p->name; *c; c++)
            FUZZ_CHECK(isalnum((unsigned char)*c) || strchr("-/.%@_:+", *c),
                       "section name '%s' is not an identifier", p->name);
        FUZZ_CHECK(find(f, p->name) == p, "section '%s' is not unique", p->name);
        for (size_t k = 0; k < p->n_props; k++) {
            const struct aws_profile_prop *pr = &p->props[k];
            size_t kl = strlen(pr->key), vl = strlen(pr->value);
            FUZZ_CHECK(kl && !blank(pr->key[0]) && !blank(pr->key[kl - 1]),
                       "key '%s' empty or untrimmed", pr->key);
            FUZZ_CHECK(!vl || (!blank(pr->value[0]) && !blank(pr->value[vl - 1])),
                       "value of %s untrimmed", pr->key);
            char *upper = strdup(pr->key);
            for (char *c = upper; *c; c++) {
                FUZZ_CHECK(!isupper((unsigned char)*c), "key '%s' not lower case", pr->key);
                *c = (char)toupper((unsigned char)*c);
            }
            FUZZ_CHECK(aws_profile_get(p, upper) == pr->value,
                       "aws_profile_get(%s) misses or is not unique", upper);
            free(upper);
        }
    }
}

static void check_file(const struct aws_profile_file *f)
{
    check_sections(f, f->profiles, f->n_profiles, aws_profile_file_find);
    check_sections(f, f->sso_sessions, f->n_sso_sessions, aws_profile_file_find_sso_session);
    check_sections(f, f->services, f->n_services, aws_profile_file_find_services);
    if (f->kind == AWS_PROFILE_FILE_CREDENTIALS)
        FUZZ_CHECK(!f->n_sso_sessions && !f->n_services,
                   "a credentials file has sso-session or services sections");
}

/* Line `line_no` (1-based) of text with letters and digits replaced. */
static char *mask_line(const char *text, size_t len, int line_no)
{
    char *copy = fuzz_dup(text, len);
    int line = 1;
    for (size_t i = 0; i < len; i++) {
        if (line == line_no && isalnum((unsigned char)copy[i]))
            copy[i] = 'x';
        if (text[i] == '\n')
            line++;
    }
    return copy;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_log(); /* ignored sections are warned about */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    enum aws_profile_file_kind kind =
        fuzz_byte(&in) & 1 ? AWS_PROFILE_FILE_CREDENTIALS : AWS_PROFILE_FILE_CONFIG;
    size_t len;
    char *text = fuzz_rest(&in, &len);
    struct aws_profile_file f;
    struct err e;
    if (aws_profile_file_parse(&f, kind, PATH, text, len, &e) == 0) {
        FUZZ_CHECK(f.kind == kind && f.exists, "kind or exists wrong");
        check_file(&f);
        aws_profile_file_free(&f);
        free(text);
        return 0;
    }
    FUZZ_CHECK(e.kind == ERR_CONFIG, "error kind %d", (int)e.kind);
    const char *at = strstr(e.message, PATH ", line ");
    FUZZ_CHECK(at, "the error does not name the file and line: %s", e.message);
    int line_no = atoi(at + strlen(PATH ", line "));
    FUZZ_CHECK(line_no >= 1, "line number %d", line_no);
    char *masked = mask_line(text, len, line_no);
    struct aws_profile_file g;
    struct err e2;
    int rc = aws_profile_file_parse(&g, kind, PATH, masked, len, &e2);
    FUZZ_CHECK(rc != 0, "masking line %d made the file valid", line_no);
    FUZZ_CHECK(strcmp(e.message, e2.message) == 0,
               "the error quotes line %d: '%s' became '%s' with its letters masked", line_no,
               e.message, e2.message);
    free(masked);
    free(text);
    return 0;
}
