/* The trace-log redactors (aws_redact_form / _xml / _json), which see every
 * request and answer body when --log-level trace is on.
 *
 * Input: byte 0 picks the format and the field name; byte 1 the secret's
 * length; then the secret's bytes (mapped to letters and digits, as AWS keys
 * are); the rest is split at the first 0xff into the text before and after
 * the planted field.
 *
 * Property: a credential field planted anywhere in arbitrary surrounding
 * text (form, XML, broken JSON) or added to any JSON object never reaches
 * the output, unless the surrounding text itself holds the same value. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "aws/client_impl.h"
#include "fuzz.h"

static const char *const names[] = {"SecretAccessKey",  "SessionToken",        "Token",
                                    "WebIdentityToken", "secretAccessKey",     "Password",
                                    "SAMLAssertion",    "x-amz-security-token"};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static void check_absent(const char *out, size_t len, const char *secret, const char *what)
{
    FUZZ_CHECK(!fuzz_contains(out, len, secret, strlen(secret)),
               "%s: the secret '%s' is in the output: %s", what, secret, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    struct fuzz_in in = {data, size};
    uint8_t sel = fuzz_byte(&in);
    const char *name = names[(sel >> 2) % N_NAMES];
    /* 12..75 characters: longer than "redacted", the only word the
     * redactors add. */
    size_t slen = 12 + fuzz_byte(&in) % 64;
    char *secret = malloc(slen + 1);
    for (size_t i = 0; i < slen; i++)
        secret[i] = alnum[fuzz_byte(&in) % (sizeof(alnum) - 1)];
    secret[slen] = '\0';
    size_t rest_len;
    char *rest = fuzz_rest(&in, &rest_len);
    char *cut = memchr(rest, 0xff, rest_len);
    size_t before_len = cut ? (size_t)(cut - rest) : rest_len;
    const char *after = cut ? cut + 1 : rest + rest_len;
    size_t after_len = rest_len - before_len - (cut ? 1 : 0);
    /* aws_redact_form and _json give C strings: keep NULs out of their
     * input so that the whole output is checked. */
    if ((sel & 3) != 1)
        for (size_t i = 0; i < rest_len; i++)
            if (rest[i] == '\0')
                rest[i] = '\x01';
    if (fuzz_contains(rest, rest_len, secret, slen)) {
        free(secret);
        free(rest);
        return 0;
    }

    struct buf body = BUF_INIT;
    char *out = NULL;
    size_t out_len;
    switch (sel & 3) {
    case 0: /* form: "...&Prefix.Name=secret&..." */
        buf_append(&body, rest, before_len);
        buf_printf(&body, "&Credentials.member.1.%s=%s&", name, secret);
        buf_append(&body, after, after_len);
        out = aws_redact_form(body.data, body.len);
        check_absent(out, strlen(out), secret, "form");
        break;
    case 1: /* XML: "...<Name>secret</Name>..." */
        buf_append(&body, rest, before_len);
        buf_printf(&body, "<%s>%s</%s>", name, secret, name);
        buf_append(&body, after, after_len);
        out = aws_redact_xml(body.data, body.len, &out_len);
        check_absent(out, out_len, secret, "xml");
        free(out);
        out = aws_redact_text(body.data, body.len, &out_len);
        check_absent(out, out_len, secret, "text (xml)");
        break;
    case 2: /* text that is not JSON, or cut short: "...\"Name\": \"secret\"..." */
        buf_append(&body, rest, before_len);
        buf_printf(&body, "\"%s\": \"%s\"", name, secret);
        buf_append(&body, after, after_len);
        out = aws_redact_json(body.data, body.len);
        check_absent(out, strlen(out), secret, "json text");
        free(out);
        out = aws_redact_text(body.data, body.len, &out_len);
        check_absent(out, out_len, secret, "text (json)");
        break;
    default: { /* JSON: the input as JSON, with the field added to objects */
        cJSON *doc = cJSON_ParseWithLength(rest, rest_len);
        if (!cJSON_IsObject(doc) && !cJSON_IsArray(doc)) {
            cJSON_Delete(doc);
            break;
        }
        /* Into the top level, and into the first nested object if any. */
        cJSON *target = cJSON_IsObject(doc) ? doc : NULL;
        for (cJSON *c = doc->child; c && !target; c = c->next)
            if (cJSON_IsObject(c))
                target = c;
        if (!target) {
            cJSON_Delete(doc);
            break;
        }
        /* Escapes in the input could spell the secret elsewhere. */
        char *plain = cJSON_PrintUnformatted(doc);
        int already = !plain || strstr(plain, secret) != NULL;
        cJSON_free(plain);
        if (already) {
            cJSON_Delete(doc);
            break;
        }
        cJSON_AddStringToObject(target, name, secret);
        char *printed = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);
        if (!printed)
            break;
        buf_puts(&body, printed);
        cJSON_free(printed);
        out = aws_redact_json(body.data, body.len);
        check_absent(out, strlen(out), secret, "json");
        break;
    }
    }
    free(out);
    buf_free(&body);
    free(secret);
    free(rest);
    return 0;
}
