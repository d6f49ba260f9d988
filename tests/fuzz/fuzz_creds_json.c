/* What credential sources print or answer: credential_process output
 * (cred_process_parse_output), the EC2 instance metadata credentials
 * document (cred_imds_parse_credentials), the container credentials
 * document (cred_json_parse + cred_from_json, as aws/creds/ecs.c does), and
 * the ISO 8601 times in them (cred_parse_time).
 *
 * Input: byte 0 picks the source (0 process, 1 IMDS, 2 container); the rest
 * is the document.
 *
 * Properties: success gives a non-empty key id and secret equal to the
 * document's (checked with an independent cJSON parse), and an expiration
 * that formats and parses back to itself; a failure is ERR_CREDENTIALS and
 * its message never holds the document's secret key or token. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "aws/creds/providers.h"
#include "fuzz.h"
#include "util/log.h"

static const char *str_field(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A secret worth checking for: long enough not to be a word of the
 * message, and not only letters. */
static int checkable(const char *s)
{
    return s && strlen(s) >= 12 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ") < strlen(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_log();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    int source = fuzz_byte(&in) % 3;
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    size_t len;
    char *doc = fuzz_rest(&in, &len);
    buf_append(&resp.body, doc, len);
    buf_reserve(&resp.body, 0);
    free(doc);

    struct aws_credentials c;
    memset(&c, 0, sizeof(c));
    struct err e;
    err_clear(&e);
    int rc;
    const char *token_key = "Token";
    if (source == 0) {
        token_key = "SessionToken";
        rc = cred_process_parse_output("credential_process of profile 'p'", &resp.body, &c, &e);
    } else if (source == 1) {
        rc = cred_imds_parse_credentials("EC2 instance metadata (role r)", &resp, &c, &e);
    } else {
        cJSON *json = cred_json_parse(buf_cstr(&resp.body), resp.body.len, "container credentials",
                                      "answered", &e);
        rc = json ? cred_from_json(json, "Token", "container credentials", &c, &e) : -1;
        cred_json_free(json);
    }

    /* The reference view of the same document. */
    cJSON *ref = memchr(buf_cstr(&resp.body), 0, resp.body.len)
                     ? NULL
                     : cJSON_ParseWithLength(buf_cstr(&resp.body), resp.body.len);
    const char *secret = str_field(ref, "SecretAccessKey");
    const char *token = str_field(ref, token_key);
    if (rc == 0) {
        FUZZ_CHECK(ref, "accepted a document cJSON cannot parse");
        FUZZ_CHECK(c.access_key_id && c.access_key_id[0] && c.secret_access_key &&
                       c.secret_access_key[0],
                   "empty key id or secret");
        FUZZ_CHECK(strcmp(c.access_key_id, str_field(ref, "AccessKeyId")) == 0 &&
                       strcmp(c.secret_access_key, secret) == 0,
                   "credentials differ from the document");
        FUZZ_CHECK(!c.session_token || (token && strcmp(c.session_token, token) == 0),
                   "session token differs from the document");
        /* 0 means "never expires": a document with an expiry must not
         * come out as that. */
        FUZZ_CHECK(!str_field(ref, "Expiration") || c.expiration != 0,
                   "Expiration \"%s\" read as no expiry", str_field(ref, "Expiration"));
        if (c.expiration) {
            char when[32];
            time_t back = 0;
            cred_format_time(c.expiration, when);
            if (when[0] != '@') /* outside what gmtime can show */
                FUZZ_CHECK(cred_parse_time(when, &back) == 0 && back == c.expiration,
                           "expiration %lld formats as %s, which parses back as %lld",
                           (long long)c.expiration, when, (long long)back);
        }
    } else {
        FUZZ_CHECK(e.kind == ERR_CREDENTIALS, "error kind %d: %s", (int)e.kind, e.message);
        FUZZ_CHECK(e.message[0], "empty error message");
        FUZZ_CHECK(!checkable(secret) || !strstr(e.message, secret),
                   "the error shows the secret key: %s", e.message);
        FUZZ_CHECK(!checkable(token) || !strstr(e.message, token), "the error shows the token: %s",
                   e.message);
    }
    cJSON_Delete(ref);
    aws_credentials_free(&c);
    http_response_free(&resp);
    log_clear_secrets();
    return 0;
}
