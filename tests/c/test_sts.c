/* svc/sts.c against a loopback STS: what each call sends (parameters,
 * signed or not, with which credentials), what it parses, STS errors, and
 * the role providers wired to it through sts_cred_ops. */
#include <stdlib.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/creds.h"
#include "aws/creds/providers.h"
#include "aws/http.h"
#include "loopback.h"
#include "svc/sts.h"
#include "test.h"
#include "test_creds_support.h"

#define SECRET_CLIENT "clientSecretKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK"
#define SECRET_SOURCE "sourceSecretSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"
#define TOKEN_SOURCE "sourceSessionTokenSSSSSSSSSSSSSSSSSSSSSSSSSSS"
#define SECRET_ROLE "roleSecretFromStsRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
#define TOKEN_ROLE "FwoGZXIvYXdzEroleSessionTokenFromStsRRRRRRRRRRR"
#define WEB_TOKEN "eyJraWQiOiJrMSJ9.eyJzdWIiOiJjaSJ9.web-identity-signature"

#define XML_HEADERS "Content-Type: text/xml\r\n"

static const char *const assume_role_ok =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n"
    "    <AssumedRoleUser>\n"
    "      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:s3-access-example</AssumedRoleId>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/demo/rollout</Arn>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIAJEXAMPLEXEG2JICEA</AccessKeyId>\n"
    "      <SecretAccessKey>" SECRET_ROLE "</SecretAccessKey>\n"
    "      <SessionToken>" TOKEN_ROLE "</SessionToken>\n"
    "      <Expiration>2039-07-15T23:28:33.359Z</Expiration>\n"
    "    </Credentials>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>"
    "</ResponseMetadata>\n"
    "</AssumeRoleResponse>\n";

static const char *const web_identity_ok =
    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleWithWebIdentityResult>\n"
    "    <SubjectFromWebIdentityToken>ci</SubjectFromWebIdentityToken>\n"
    "    <Credentials>\n"
    "      <SessionToken>" TOKEN_ROLE "</SessionToken>\n"
    "      <SecretAccessKey>" SECRET_ROLE "</SecretAccessKey>\n"
    "      <Expiration>2039-10-24T23:00:23Z</Expiration>\n"
    "      <AccessKeyId>ASIAWEBIDENTITY</AccessKeyId>\n"
    "    </Credentials>\n"
    "    <Provider>www.example.com</Provider>\n"
    "  </AssumeRoleWithWebIdentityResult>\n"
    "  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>"
    "</ResponseMetadata>\n"
    "</AssumeRoleWithWebIdentityResponse>\n";

static char *sts_error(const char *code, const char *message)
{
    struct buf b = BUF_INIT;
    buf_printf(&b,
               "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
               "<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
               "<RequestId>err-req-42</RequestId></ErrorResponse>",
               code, message);
    return buf_steal(&b);
}

/* The decoded value of `key` in a form body, or NULL (caller frees). */
static char *form_value(const char *body, const char *key)
{
    size_t klen = strlen(key);
    const char *p = body;
    while (p && *p) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            struct buf out = BUF_INIT;
            for (size_t i = klen + 1; i < n; i++) {
                if (p[i] == '%' && i + 2 < n + 1) {
                    char hex[3] = {p[i + 1], p[i + 2], 0};
                    buf_putc(&out, (char)strtol(hex, NULL, 16));
                    i += 2;
                } else {
                    buf_putc(&out, p[i] == '+' ? ' ' : p[i]);
                }
            }
            return buf_steal(&out);
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

#define CHECK_FORM(body, key, want)                                                                \
    do {                                                                                           \
        char *v_ = form_value(body, key);                                                          \
        int ok_ = v_ && strcmp(v_, want) == 0;                                                     \
        test_fail_if_(!ok_, __FILE__, __LINE__, key, v_, want);                                    \
        free(v_);                                                                                  \
        if (!ok_)                                                                                  \
            return;                                                                                \
    } while (0)

static void test_fail_if_(int bad, const char *file, int line, const char *key, const char *got,
                          const char *want)
{
    if (bad)
        test_fail(file, line, "form %s = %s, expected %s", key, got ? got : "(absent)", want);
}

struct sts_fixture {
    struct loopback *lb;
    struct http_client *http;
    struct cred_provider *client_creds;
    struct aws_client client;
};

static void sts_setup(struct sts_fixture *f)
{
    tenv_clear();
    f->lb = loopback_start();
    struct http_options o = {0};
    struct err err;
    f->http = http_client_new(&o, &err);
    if (!f->http) {
        fprintf(stderr, "http_client_new: %s\n", err.message);
        abort();
    }
    f->client_creds = cred_static_new("AKIDCLIENT", SECRET_CLIENT, NULL);
    aws_client_init(&f->client, f->http, f->client_creds, "us-east-1", loopback_url(f->lb));
    f->client.retry.max_attempts = 1;
}

static void sts_teardown(struct sts_fixture *f)
{
    aws_client_cleanup(&f->client);
    cred_provider_free(f->client_creds);
    http_client_free(f->http);
    loopback_stop(f->lb);
    tenv_clear();
}

TEST(sts_get_caller_identity_parses_and_signs)
{
    struct sts_fixture f;
    sts_setup(&f);
    loopback_push(f.lb, 200, XML_HEADERS,
                  "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                  "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice</Arn>"
                  "<UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>123456789012</Account>"
                  "</GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab"
                  "</RequestId></ResponseMetadata></GetCallerIdentityResponse>");
    struct sts_identity id;
    struct err err;
    int rc = sts_get_caller_identity(&f.client, &id, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(id.account, "123456789012");
    CHECK_STR(id.arn, "arn:aws:iam::123456789012:user/Alice");
    CHECK_STR(id.user_id, "AIDACKCEVSQ6C2EXAMPLE");
    sts_identity_free(&id);
    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK_STR(r->method, "POST");
    CHECK_FORM(r->body, "Action", "GetCallerIdentity");
    CHECK_FORM(r->body, "Version", "2011-06-15");
    CHECK_CONTAINS(loopback_request_header(r, "Authorization"),
                   "AWS4-HMAC-SHA256 Credential=AKIDCLIENT/");
    CHECK_CONTAINS(loopback_request_header(r, "Authorization"), "/us-east-1/sts/aws4_request");

    loopback_push(f.lb, 200, XML_HEADERS,
                  "<GetCallerIdentityResponse><GetCallerIdentityResult/>"
                  "</GetCallerIdentityResponse>");
    CHECK_INT(sts_get_caller_identity(&f.client, &id, &err), -1);
    CHECK_INT(err.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(err.message, "GetCallerIdentity");
    sts_teardown(&f);
}

TEST(sts_assume_role_signs_with_the_source)
{
    struct sts_fixture f;
    sts_setup(&f);
    loopback_push(f.lb, 200, XML_HEADERS, assume_role_ok);
    struct cred_provider *source = cred_static_new("ASIASOURCE", SECRET_SOURCE, TOKEN_SOURCE);
    struct sts_role_request req = {
        .role_arn = "arn:aws:iam::123456789012:role/demo",
        .role_session_name = "rollout",
        .external_id = "ext id/1+2",
        .duration_seconds = 1800,
    };
    struct aws_credentials c;
    struct err err;
    int rc = sts_assume_role(&f.client, source, &req, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAJEXAMPLEXEG2JICEA");
    CHECK_STR(c.secret_access_key, SECRET_ROLE);
    CHECK_STR(c.session_token, TOKEN_ROLE);
    time_t want;
    CHECK_INT(cred_parse_time("2039-07-15T23:28:33Z", &want), 0);
    CHECK_INT(c.expiration, want);
    aws_credentials_free(&c);
    CHECK(f.client.creds == f.client_creds); /* the client is unchanged */
    CHECK(f.client.stats.calls >= 1);

    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK_FORM(r->body, "Action", "AssumeRole");
    CHECK_FORM(r->body, "Version", "2011-06-15");
    CHECK_FORM(r->body, "RoleArn", "arn:aws:iam::123456789012:role/demo");
    CHECK_FORM(r->body, "RoleSessionName", "rollout");
    CHECK_FORM(r->body, "ExternalId", "ext id/1+2");
    CHECK_FORM(r->body, "DurationSeconds", "1800");
    CHECK_CONTAINS(loopback_request_header(r, "Authorization"), "Credential=ASIASOURCE/");
    CHECK_STR(loopback_request_header(r, "X-Amz-Security-Token"), TOKEN_SOURCE);

    /* Defaults: a generated session name, no ExternalId or DurationSeconds. */
    loopback_push(f.lb, 200, XML_HEADERS, assume_role_ok);
    struct sts_role_request bare = {.role_arn = "arn:aws:iam::1:role/bare"};
    rc = sts_assume_role(&f.client, source, &bare, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    r = loopback_request_at(f.lb, 1);
    char *session = form_value(r->body, "RoleSessionName");
    CHECK(session && strncmp(session, "ecs-rollout-", 12) == 0);
    free(session);
    CHECK(form_value(r->body, "ExternalId") == NULL);
    CHECK(form_value(r->body, "DurationSeconds") == NULL);
    cred_provider_free(source);
    sts_teardown(&f);
}

TEST(sts_web_identity_is_unsigned)
{
    struct sts_fixture f;
    sts_setup(&f);
    loopback_push(f.lb, 200, XML_HEADERS, web_identity_ok);
    struct sts_role_request req = {
        .role_arn = "arn:aws:iam::123456789012:role/ci",
        .role_session_name = "ci-run-7",
        .web_identity_token = WEB_TOKEN,
    };
    struct aws_credentials c;
    struct err err;
    int rc = sts_assume_role_with_web_identity(&f.client, &req, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAWEBIDENTITY");
    CHECK_STR(c.session_token, TOKEN_ROLE);
    aws_credentials_free(&c);
    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK_FORM(r->body, "Action", "AssumeRoleWithWebIdentity");
    CHECK_FORM(r->body, "RoleArn", "arn:aws:iam::123456789012:role/ci");
    CHECK_FORM(r->body, "RoleSessionName", "ci-run-7");
    CHECK_FORM(r->body, "WebIdentityToken", WEB_TOKEN);
    CHECK(loopback_request_header(r, "Authorization") == NULL);
    CHECK(loopback_request_header(r, "X-Amz-Security-Token") == NULL);
    sts_teardown(&f);
}

TEST(sts_errors_keep_the_aws_code)
{
    struct sts_fixture f;
    sts_setup(&f);
    char *body = sts_error("AccessDenied", "User: arn:aws:iam::1:user/x is not authorized to "
                                           "perform: sts:AssumeRole on resource: arn:aws:iam::1:"
                                           "role/demo");
    loopback_push(f.lb, 403, XML_HEADERS, body);
    free(body);
    struct cred_provider *source = cred_static_new("AKIASRC", SECRET_SOURCE, NULL);
    struct sts_role_request req = {.role_arn = "arn:aws:iam::1:role/demo"};
    struct aws_credentials c;
    struct err err;
    CHECK_INT(sts_assume_role(&f.client, source, &req, &c, &err), -1);
    CHECK_INT(err.kind, ERR_SERVICE);
    CHECK_STR(err.code, "AccessDenied");
    CHECK_STR(err.request_id, "err-req-42");
    CHECK_INT(err.http_status, 403);
    CHECK_CONTAINS(err.message, "is not authorized to perform: sts:AssumeRole");
    CHECK(c.access_key_id == NULL);

    /* An answer without credentials is a protocol error, not a crash. */
    loopback_push(f.lb, 200, XML_HEADERS,
                  "<AssumeRoleResponse><AssumeRoleResult>"
                  "<Credentials><AccessKeyId>A</AccessKeyId>"
                  "</Credentials></AssumeRoleResult></AssumeRoleResponse>");
    CHECK_INT(sts_assume_role(&f.client, source, &req, &c, &err), -1);
    CHECK_INT(err.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(err.message, "AssumeRole: the answer has no Credentials");
    cred_provider_free(source);
    sts_teardown(&f);
}

/* ---- the providers, wired to the real STS calls ---------------------- */

TEST(role_profile_through_real_sts)
{
    struct sts_fixture f;
    sts_setup(&f);
    char *dir = tdir_new();
    char *cfg = tdir_write(dir, "config",
                           "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\n"
                           "source_profile = base\nexternal_id = the-external-id\n"
                           "role_session_name = rollout-session\nduration_seconds = 900\n");
    char *cred = tdir_write(dir, "credentials",
                            "[base]\naws_access_key_id = AKIABASEPROFILE\n"
                            "aws_secret_access_key = " SECRET_SOURCE "\n");
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    struct cred_sts_ops ops;
    sts_cred_ops(&f.client, &ops);
    struct cred_chain_options opts = {.profile = "deploy", .http = f.http, .sts = &ops};
    struct err err;
    struct cred_provider *chain = cred_default_chain_new(&opts, &err);
    CHECK_MSG(chain != NULL, "%s", err.message);

    tlog_start();
    loopback_push(f.lb, 200, XML_HEADERS, assume_role_ok);
    struct aws_credentials c;
    int rc = cred_provider_get(chain, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAJEXAMPLEXEG2JICEA");
    CHECK_CONTAINS(c.source, "profile 'deploy'");
    aws_credentials_free(&c);
    /* Cached: no second call. */
    rc = cred_provider_get(chain, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK_INT(loopback_request_count(f.lb), 1);
    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK_FORM(r->body, "RoleArn", "arn:aws:iam::123456789012:role/deploy");
    CHECK_FORM(r->body, "ExternalId", "the-external-id");
    CHECK_FORM(r->body, "RoleSessionName", "rollout-session");
    CHECK_FORM(r->body, "DurationSeconds", "900");
    CHECK_CONTAINS(loopback_request_header(r, "Authorization"), "Credential=AKIABASEPROFILE/");
    int leaked = strstr(tlog_text(), SECRET_ROLE) || strstr(tlog_text(), TOKEN_ROLE) ||
                 strstr(tlog_text(), SECRET_SOURCE);
    tlog_stop();
    CHECK_MSG(!leaked, "a secret reached the trace log");
    cred_provider_free(chain);

    /* STS refuses: the message names the profile, AWS's code and the fix. */
    char *body = sts_error("ExpiredToken", "The security token included in the request is "
                                           "expired");
    loopback_push(f.lb, 400, XML_HEADERS, body);
    free(body);
    chain = cred_default_chain_new(&opts, &err);
    CHECK_INT(cred_provider_get(chain, &c, &err), -1);
    CHECK_INT(err.kind, ERR_CREDENTIALS);
    CHECK_STR(err.code, "ExpiredToken");
    struct buf line = BUF_INIT;
    err_format(&err, &line);
    CHECK_CONTAINS(buf_cstr(&line), "profile 'deploy' (role_arn arn:aws:iam::123456789012:role/"
                                    "deploy): AssumeRole failed: ExpiredToken: The security token "
                                    "included in the request is expired");
    CHECK_CONTAINS(buf_cstr(&line), "refresh them");
    CHECK_CONTAINS(buf_cstr(&line), "request id err-req-42");
    buf_free(&line);
    cred_provider_free(chain);
    free(cfg);
    free(cred);
    tdir_remove(dir);
    sts_teardown(&f);
}

TEST(web_identity_through_real_sts)
{
    struct sts_fixture f;
    sts_setup(&f);
    char *dir = tdir_new();
    char *tok = tdir_write(dir, "token", WEB_TOKEN "\n");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci", 1);
    struct cred_sts_ops ops;
    sts_cred_ops(&f.client, &ops);
    struct cred_chain_options opts = {.http = f.http, .sts = &ops};
    struct err err;
    struct cred_provider *chain = cred_default_chain_new(&opts, &err);
    CHECK_MSG(chain != NULL, "%s", err.message);

    tlog_start();
    loopback_push(f.lb, 200, XML_HEADERS, web_identity_ok);
    struct aws_credentials c;
    int rc = cred_provider_get(chain, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAWEBIDENTITY");
    aws_credentials_free(&c);
    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK_FORM(r->body, "WebIdentityToken", WEB_TOKEN);
    CHECK(loopback_request_header(r, "Authorization") == NULL);
    char *session = form_value(r->body, "RoleSessionName");
    CHECK(session && strncmp(session, "ecs-rollout-", 12) == 0);
    free(session);
    int leaked = strstr(tlog_text(), WEB_TOKEN) || strstr(tlog_text(), SECRET_ROLE) ||
                 strstr(tlog_text(), TOKEN_ROLE);
    tlog_stop();
    CHECK_MSG(!leaked, "a secret reached the trace log");
    cred_provider_free(chain);

    char *body = sts_error("InvalidIdentityToken", "Incorrect token audience");
    loopback_push(f.lb, 400, XML_HEADERS, body);
    free(body);
    chain = cred_default_chain_new(&opts, &err);
    CHECK_INT(cred_provider_get(chain, &c, &err), -1);
    CHECK_STR(err.code, "InvalidIdentityToken");
    CHECK_CONTAINS(err.message, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE=");
    CHECK_CONTAINS(err.message, "AssumeRoleWithWebIdentity failed: InvalidIdentityToken: "
                                "Incorrect token audience");
    CHECK(strstr(err.message, WEB_TOKEN) == NULL);
    cred_provider_free(chain);
    free(tok);
    tdir_remove(dir);
    sts_teardown(&f);
}
