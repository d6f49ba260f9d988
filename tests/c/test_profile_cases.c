/* The profile file parser against the AWS SDKs' shared parser cases
 * (tests/vectors/profile-parser/profile-parser-tests.json, vendored from
 * smithy-rs; see the README there). Each case is a config and/or
 * credentials file and either the profiles and sso-sessions they hold once
 * merged (a credentials-file value wins over the config file's) or text the
 * parse error must contain. One PASS/FAIL line per case. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/profile_file.h"
#include "test.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b = BUF_INIT;
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, got);
    fclose(f);
    *len = b.len;
    return buf_steal(&b);
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

/* The value of `key` in profile `name` once both files are merged. */
static const char *merged_get(const struct aws_profile_file *config,
                              const struct aws_profile_file *creds, const char *name,
                              const char *key)
{
    const char *v = aws_profile_get(aws_profile_file_find(creds, name), key);
    return v ? v : aws_profile_get(aws_profile_file_find(config, name), key);
}

/* Every key of `sec` (NULL: none) is in `want` with its value. */
static int keys_expected(const struct aws_profile *sec, const cJSON *want, const char *what,
                         const struct aws_profile_file *config,
                         const struct aws_profile_file *creds, struct buf *why)
{
    for (size_t k = 0; sec && k < sec->n_props; k++) {
        const char *key = sec->props[k].key;
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(want, key);
        if (!cJSON_IsString(w)) {
            buf_printf(why, "%s %s has key %s, which the case does not expect", what, sec->name,
                       key);
            return -1;
        }
        const char *got = config ? merged_get(config, creds, sec->name, key) : sec->props[k].value;
        if (strcmp(got, w->valuestring) != 0) {
            buf_printf(why, "%s %s: %s = \"%s\", expected \"%s\"", what, sec->name, key, got,
                       w->valuestring);
            return -1;
        }
    }
    return 0;
}

/* The profiles of both files, merged, are exactly `want`. */
static int profiles_match(const struct aws_profile_file *config,
                          const struct aws_profile_file *creds, const cJSON *want, struct buf *why)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, want)
    {
        const struct aws_profile *a = aws_profile_file_find(config, p->string);
        const struct aws_profile *b = aws_profile_file_find(creds, p->string);
        if (!a && !b) {
            buf_printf(why, "profile %s is missing", p->string);
            return -1;
        }
        const cJSON *kv;
        cJSON_ArrayForEach(kv, p)
        {
            const char *got = merged_get(config, creds, p->string, kv->string);
            if (!got || !cJSON_IsString(kv) || strcmp(got, kv->valuestring) != 0) {
                buf_printf(why, "profile %s: %s = %s%s%s, expected \"%s\"", p->string, kv->string,
                           got ? "\"" : "", got ? got : "(absent)", got ? "\"" : "",
                           cJSON_IsString(kv) ? kv->valuestring : "(not a string)");
                return -1;
            }
        }
    }
    const struct aws_profile_file *files[] = {config, creds};
    for (size_t f = 0; f < 2; f++) {
        for (size_t i = 0; i < files[f]->n_profiles; i++) {
            const struct aws_profile *sec = &files[f]->profiles[i];
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(want, sec->name);
            if (!w) {
                buf_printf(why, "profile %s is there but not expected", sec->name);
                return -1;
            }
            if (keys_expected(sec, w, "profile", config, creds, why) != 0)
                return -1;
        }
    }
    return 0;
}

/* The sso-sessions of the config file are exactly `want` (NULL: none). */
static int sessions_match(const struct aws_profile_file *config, const cJSON *want, struct buf *why)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, want)
    {
        const struct aws_profile *sec = aws_profile_file_find_sso_session(config, s->string);
        if (!sec) {
            buf_printf(why, "sso-session %s is missing", s->string);
            return -1;
        }
        const cJSON *kv;
        cJSON_ArrayForEach(kv, s)
        {
            const char *got = aws_profile_get(sec, kv->string);
            if (!got || !cJSON_IsString(kv) || strcmp(got, kv->valuestring) != 0) {
                buf_printf(why, "sso-session %s: %s = %s, expected %s", s->string, kv->string,
                           got ? got : "(absent)",
                           cJSON_IsString(kv) ? kv->valuestring : "(not a string)");
                return -1;
            }
        }
    }
    for (size_t i = 0; i < config->n_sso_sessions; i++) {
        const struct aws_profile *sec = &config->sso_sessions[i];
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(want, sec->name);
        if (!w) {
            buf_printf(why, "sso-session %s is there but not expected", sec->name);
            return -1;
        }
        if (keys_expected(sec, w, "sso-session", NULL, NULL, why) != 0)
            return -1;
    }
    return 0;
}

static int parse_input(const cJSON *input, const char *field, enum aws_profile_file_kind kind,
                       struct aws_profile_file *out, struct err *err)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(input, field);
    const char *s = cJSON_IsString(text) ? text->valuestring : "";
    const char *path = kind == AWS_PROFILE_FILE_CONFIG ? "/case/config" : "/case/credentials";
    return aws_profile_file_parse(out, kind, path, s, strlen(s), err);
}

/* 0: the case passes; -1 with the reason in `why`. */
static int run_case(const cJSON *tc, struct buf *why)
{
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(tc, "input");
    const cJSON *output = cJSON_GetObjectItemCaseSensitive(tc, "output");
    const cJSON *want_error = cJSON_GetObjectItemCaseSensitive(output, "errorContaining");
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(output, "config");
    if (!cJSON_IsObject(input) || (!cJSON_IsString(want_error) && !cJSON_IsObject(want))) {
        buf_puts(why, "the case has no input, or neither errorContaining nor config output");
        return -1;
    }
    struct aws_profile_file config, creds;
    memset(&config, 0, sizeof(config));
    memset(&creds, 0, sizeof(creds));
    struct err err;
    int rc = parse_input(input, "configFile", AWS_PROFILE_FILE_CONFIG, &config, &err);
    if (rc == 0) {
        rc = parse_input(input, "credentialsFile", AWS_PROFILE_FILE_CREDENTIALS, &creds, &err);
        if (rc != 0)
            aws_profile_file_free(&config);
    }
    if (rc != 0) {
        if (!cJSON_IsString(want_error)) {
            buf_printf(why, "parsing failed: %s", err.message);
            return -1;
        }
        if (!contains_nocase(err.message, want_error->valuestring)) {
            buf_printf(why, "the error \"%s\" does not contain \"%s\"", err.message,
                       want_error->valuestring);
            return -1;
        }
        return 0;
    }
    int result = 0;
    if (cJSON_IsString(want_error)) {
        buf_printf(why, "parsed, but the case expects an error containing \"%s\"",
                   want_error->valuestring);
        result = -1;
    } else if (profiles_match(&config, &creds, cJSON_GetObjectItemCaseSensitive(want, "profiles"),
                              why) != 0 ||
               sessions_match(&config, cJSON_GetObjectItemCaseSensitive(want, "sso_sessions"),
                              why) != 0) {
        result = -1;
    }
    aws_profile_file_free(&config);
    aws_profile_file_free(&creds);
    return result;
}

TEST(cross_sdk_profile_parser_cases)
{
    log_set_level(LOG_ERROR); /* the cases' ignored sections are warned about */
    struct buf path = BUF_INIT;
    /* tests/run starts programs in the repository root and sets REPO_ROOT. */
    buf_printf(&path, "%s/tests/vectors/profile-parser/profile-parser-tests.json",
               test_env("REPO_ROOT", "."));
    size_t len = 0;
    char *text = read_whole(buf_cstr(&path), &len);
    cJSON *doc = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(doc, "tests");
    if (!cJSON_IsArray(tests) || cJSON_GetArraySize(tests) == 0) {
        test_fail(__FILE__, __LINE__, "%s: missing, not JSON or no \"tests\" array",
                  buf_cstr(&path));
        cJSON_Delete(doc);
        buf_free(&path);
        return;
    }
    int n = 0, failed = 0;
    const cJSON *tc;
    cJSON_ArrayForEach(tc, tests)
    {
        n++;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(tc, "name");
        struct buf why = BUF_INIT;
        if (run_case(tc, &why) == 0) {
            printf("PASS test_profile_cases/%02d %s\n", n,
                   cJSON_IsString(name) ? name->valuestring : "");
        } else {
            printf("FAIL test_profile_cases/%02d %s: %s\n", n,
                   cJSON_IsString(name) ? name->valuestring : "", buf_cstr(&why));
            failed++;
        }
        buf_free(&why);
    }
    cJSON_Delete(doc);
    buf_free(&path);
    log_set_level(LOG_WARN);
    CHECK_MSG(failed == 0, "%d of %d cases failed", failed, n);
}
