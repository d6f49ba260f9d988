/* Secrets in messages are scrubbed before any cut (a secret cut in two
 * used to leave its start behind); credential and header values with
 * control characters are refused, naming where they came from, never the
 * value; plain http:// goes beyond this machine only when allowed, and a
 * web identity token never; the container endpoints skip proxies. */
#include <stdlib.h>
#include <string.h>

#include "aws/creds.h"
#include "aws/creds/providers.h"
#include "aws/http.h"
#include "client_fixture.h"
#include "loopback.h"
#include "test.h"
#include "test_creds_support.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define SECRET "CutSecretKey/0123456789abcdefghijklmnopqrstuv"

/* The longest piece of SECRET (8 bytes or more) that s holds, or 0. */
static size_t secret_piece(const char *s)
{
    static const char secret[] = SECRET;
    size_t n = strlen(secret);
    for (size_t len = n; len >= 8; len--)
        for (size_t at = 0; at + len <= n; at++) {
            char piece[64];
            memcpy(piece, &secret[at], len);
            piece[len] = '\0';
            if (strstr(s, piece))
                return len;
        }
    return 0;
}

/* Filler so that SECRET starts `before_cut` bytes before the end of an
 * err.message (1023 usable bytes) once `lead` more bytes come first. */
static char *filler(size_t lead, size_t before_cut)
{
    size_t n = sizeof(((struct err *)0)->message) - 1 - lead - before_cut;
    char *s = xmalloc(n + 1);
    memset(s, 'f', n);
    s[n] = '\0';
    return s;
}

TEST(err_set_scrubs_before_it_cuts)
{
    log_clear_secrets();
    log_add_secret(SECRET);
    char *fill = filler(0, 20);
    struct err e;
    err_set(&e, ERR_CREDENTIALS, "%s%s and more", fill, SECRET);
    free(fill);
    size_t piece = secret_piece(e.message);
    log_clear_secrets();
    CHECK_MSG(piece == 0, "%zu bytes of the secret are left: ...%s", piece,
              e.message + strlen(e.message) - 30);
    CHECK_CONTAINS(e.message, "****");
}

TEST(err_prefix_scrubs_before_it_cuts)
{
    log_clear_secrets();
    log_add_secret(SECRET);
    /* The message fits; the prefix pushes the secret across the cut. */
    char *fill = filler(40, 20);
    struct err e;
    err_set(&e, ERR_CREDENTIALS, "%s%s", fill, SECRET);
    free(fill);
    CHECK_CONTAINS(e.message, "****");
    /* Put the secret back as a message a caller could have made by hand. */
    char *fill2 = filler(40, 20);
    snprintf(e.message, sizeof(e.message), "%s%s", fill2, SECRET);
    free(fill2);
    err_prefix(&e, "%s: ", "DescribeAutoScalingGroups, context...");
    size_t piece = secret_piece(e.message);
    log_clear_secrets();
    CHECK_MSG(piece == 0, "%zu bytes of the secret are left", piece);
}

TEST(err_service_scrubs_before_it_cuts)
{
    log_clear_secrets();
    log_add_secret(SECRET);
    char *fill = filler(0, 12);
    struct buf m = BUF_INIT;
    buf_printf(&m, "%s%s", fill, SECRET);
    free(fill);
    struct err e;
    err_service(&e, 400, "InvalidClientTokenId", m.data, "req-1");
    buf_free(&m);
    size_t piece = secret_piece(e.message);
    log_clear_secrets();
    CHECK_MSG(piece == 0, "%zu bytes of the secret are left", piece);
}

TEST(appended_context_scrubs_before_it_cuts)
{
    log_clear_secrets();
    log_add_secret(SECRET);
    char *fill = filler(0, 30);
    struct err e;
    err_set(&e, ERR_CREDENTIALS, "%s", fill);
    free(fill);
    cred_err_append(&e, "; %s was echoed", SECRET);
    size_t piece1 = secret_piece(e.message);
    struct err e2;
    char *fill2 = filler(0, 30);
    err_set(&e2, ERR_SERVICE, "%s", fill2);
    free(fill2);
    cred_wrap_sts_error(&e2, "web identity " SECRET, "AssumeRoleWithWebIdentity");
    size_t piece2 = secret_piece(e2.message);
    log_clear_secrets();
    CHECK_MSG(piece1 == 0, "cred_err_append left %zu bytes of the secret", piece1);
    CHECK_MSG(piece2 == 0, "cred_wrap_sts_error left %zu bytes of the secret", piece2);
}

TEST(body_excerpts_scrub_before_they_cut)
{
    log_clear_secrets();
    log_add_secret(SECRET);
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.status = 500;
    for (int i = 0; i < 190; i++)
        buf_putc(&resp.body, 'x');
    buf_puts(&resp.body, SECRET);
    char excerpt[256];
    cred_body_excerpt(&resp, excerpt, sizeof(excerpt));
    http_response_free(&resp);
    size_t piece = secret_piece(excerpt);
    /* An unexpected answer from an AWS endpoint, quoted in an error. */
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 1;
    struct buf body = BUF_INIT;
    for (int i = 0; i < 140; i++)
        buf_putc(&body, 'y');
    buf_puts(&body, SECRET);
    loopback_push(f.lb, 502, "Content-Type: text/plain\r\n", body.data);
    buf_free(&body);
    cJSON *doc = NULL;
    struct err e;
    int rc = aws_json_call(&f.client, &AWS_SVC_ECS, "AmazonEC2ContainerServiceV20141113",
                           "ListClusters", NULL, &doc, &e);
    fixture_stop(&f);
    size_t piece2 = secret_piece(e.message);
    log_clear_secrets();
    CHECK_MSG(piece == 0, "the excerpt keeps %zu bytes of the secret: %s", piece, excerpt);
    CHECK_INT(rc, -1);
    CHECK_MSG(piece2 == 0, "the error keeps %zu bytes of the secret: %s", piece2, e.message);
}

TEST(a_cut_at_the_end_of_a_text_is_masked_too)
{
    log_clear_secrets();
    log_add_secret(SECRET);
    char s[64];
    snprintf(s, sizeof(s), "quoted: %.10s", SECRET);
    log_scrub_cut(s);
    char t[64] = "ends with Cut"; /* three bytes: too short to tell */
    log_scrub_cut(t);
    log_clear_secrets();
    CHECK_STR(s, "quoted: ****");
    CHECK_STR(t, "ends with Cut");
}

/* ---- control characters ------------------------------------------------------- */

static int provider_error(struct cred_provider *p, struct err *e)
{
    struct aws_credentials c;
    int rc = cred_provider_get(p, &c, e);
    if (rc == 0)
        aws_credentials_free(&c);
    cred_provider_free(p);
    return rc;
}

TEST(control_characters_in_environment_credentials_are_refused_by_name)
{
    const char *bad[] = {"tok\r\nX-Injected: 1", "tok\nen", "tok\x01", "tok\x7f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tenv_clear();
        setenv("AWS_ACCESS_KEY_ID", "AKIDCONTROL", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "secretControlCharsTest0123456789", 1);
        setenv("AWS_SESSION_TOKEN", bad[i], 1);
        struct err e;
        int rc = provider_error(cred_env_new(), &e);
        CHECK_INT(rc, -1);
        CHECK_INT(e.kind, ERR_CREDENTIALS);
        CHECK_CONTAINS(e.message, "environment: AWS_SESSION_TOKEN holds a line break or another "
                                  "control character");
        CHECK_MSG(!strstr(e.message, "tok"), "the value is shown: %s", e.message);
    }
    tenv_clear();
}

TEST(control_characters_in_any_source_are_refused_naming_it)
{
    /* credential_process, whose JSON may escape anything. */
    tenv_clear();
    struct cred_provider *p = cred_process_new(
        "profile 'ctl'",
        "printf '%s' '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": "
        "\"procSecret0123456789\", \"SessionToken\": \"line\\r\\nX-Forged: yes\"}'",
        0);
    struct err e;
    int rc = provider_error(p, &e);
    tenv_clear();
    CHECK_INT(rc, -1);
    CHECK_INT(e.kind, ERR_CREDENTIALS);
    CHECK_CONTAINS(e.message, "the session token from ");
    CHECK_CONTAINS(e.message, "profile 'ctl'");
    CHECK_CONTAINS(e.message, "holds a line break or another control character");
    CHECK_MSG(!strstr(e.message, "Forged"), "the value is shown: %s", e.message);
}

TEST(control_characters_in_the_container_token_are_refused)
{
    tenv_clear();
    struct loopback *lb = loopback_start();
    struct http_options o = {0};
    struct err e;
    struct http_client *http = http_client_new(&o, &e);
    CHECK(http);
    setenv("ECS_ROLLOUT_TEST_CONTAINER_HOST", loopback_url(lb), 1);
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN",
           "Bearer abc\x01"
           "def",
           1);
    int rc = provider_error(cred_ecs_new(http), &e);
    size_t sent = loopback_request_count(lb);
    http_client_free(http);
    loopback_stop(lb);
    tenv_clear();
    CHECK_INT(rc, -1);
    CHECK_CONTAINS(e.message, "AWS_CONTAINER_AUTHORIZATION_TOKEN holds a line break or another "
                              "control character");
    CHECK_MSG(!strstr(e.message, "abc"), "the value is shown: %s", e.message);
    CHECK_INT(sent, 0);
}

TEST(headers_with_control_characters_are_never_sent)
{
    struct loopback *lb = loopback_start();
    struct http_options o = {0};
    struct err e;
    struct http_client *c = http_client_new(&o, &e);
    CHECK(c);
    struct http_headers h = HTTP_HEADERS_INIT;
    http_headers_add(&h, "X-Aws-Ec2-Metadata-Token", "tokenvalue\r\nX-Forged: 1");
    struct http_request req = {.method = "GET", .url = loopback_url(lb), .headers = &h};
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    int rc = http_send(c, &req, &resp, &e);
    http_response_free(&resp);
    http_headers_free(&h);
    http_client_free(c);
    size_t sent = loopback_request_count(lb);
    loopback_stop(lb);
    CHECK_INT(rc, -1);
    CHECK_INT(e.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(e.message, "\"X-Aws-Ec2-Metadata-Token\"");
    CHECK_MSG(!strstr(e.message, "tokenvalue"), "the value is shown: %s", e.message);
    CHECK_INT(sent, 0);
}

/* ---- plain http ------------------------------------------------------------------ */

/* The client points at a host that is not this machine; http_proxy (a
 * loopback server) is where such a request would really go, so nothing
 * leaves 127.0.0.1. */
struct remote {
    struct fixture f;
    struct loopback *proxy;
};

static void remote_start(struct remote *r)
{
    fixture_start(&r->f);
    r->f.client.retry.max_attempts = 1;
    free(r->f.client.endpoint_url);
    r->f.client.endpoint_url = xstrdup("http://aws.example.invalid/");
    r->proxy = loopback_start();
    setenv("http_proxy", loopback_url(r->proxy), 1);
}

static void remote_stop(struct remote *r)
{
    unsetenv("http_proxy");
    loopback_stop(r->proxy);
    fixture_stop(&r->f);
}

TEST(plain_http_beyond_this_machine_needs_the_option)
{
    struct remote r;
    remote_start(&r);
    loopback_push(r.proxy, 200, "Content-Type: application/x-amz-json-1.1\r\n", "{}");
    cJSON *doc = NULL;
    struct err e1, e2;
    int refused = aws_json_call(&r.f.client, &AWS_SVC_ECS, "AmazonEC2ContainerServiceV20141113",
                                "ListClusters", NULL, &doc, &e1);
    size_t sent_refused = loopback_request_count(r.proxy);
    r.f.client.allow_plain_http = 1;
    int allowed = aws_json_call(&r.f.client, &AWS_SVC_ECS, "AmazonEC2ContainerServiceV20141113",
                                "ListClusters", NULL, &doc, &e2);
    cJSON_Delete(doc);
    size_t sent_allowed = loopback_request_count(r.proxy);
    remote_stop(&r);
    CHECK_INT(refused, -1);
    CHECK_INT(e1.kind, ERR_USAGE);
    CHECK_CONTAINS(e1.message, "ListClusters: the ECS endpoint http://aws.example.invalid/ "
                               "(from --endpoint-url) is plain http:// to aws.example.invalid, "
                               "which is not this machine");
    CHECK_CONTAINS(e1.message, "--allow-plain-http");
    CHECK_CONTAINS(e1.message, "ECS_ROLLOUT_ALLOW_PLAIN_HTTP=true");
    CHECK_INT(sent_refused, 0);
    CHECK_MSG(allowed == 0, "%s", e2.message);
    CHECK_INT(sent_allowed, 1);
}

TEST(plain_http_to_this_machine_needs_nothing)
{
    const char *local[] = {"http://127.0.0.1:1/", "http://127.3.4.5:1/", "http://localhost:1/",
                           "http://[::1]:1/", "https://aws.example.invalid/"};
    struct aws_client c;
    aws_client_init(&c, NULL, NULL, "us-east-1", NULL);
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        struct err e;
        CHECK_MSG(aws_endpoint_transport_check(&c, &AWS_SVC_ECS, NULL, local[i], "test", 0, &e) ==
                      0,
                  "%s: %s", local[i], e.message);
    }
    const char *remote[] = {"http://10.0.0.1/", "http://169.254.169.254/", "http://[fe80::1]/",
                            "http://128.0.0.1/", "http://localhost.example.com/"};
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
        struct err e;
        CHECK_MSG(aws_endpoint_transport_check(&c, &AWS_SVC_ECS, NULL, remote[i], "test", 0, &e) ==
                      -1,
                  "%s was accepted", remote[i]);
    }
    aws_client_cleanup(&c);
}

TEST(a_web_identity_token_never_goes_over_plain_http_beyond_this_machine)
{
    struct remote r;
    remote_start(&r);
    r.f.client.allow_plain_http = 1; /* even so */
    loopback_push(r.proxy, 200, "Content-Type: text/xml\r\n", "<never/>");
    struct aws_params params = AWS_PARAMS_INIT;
    aws_params_add(&params, "RoleArn", "arn:aws:iam::123456789012:role/r");
    aws_params_add(&params, "WebIdentityToken", "eyJhbGciOiJSUzI1NiJ9.web.identity");
    struct xml_node *root = NULL;
    struct err e;
    int rc = aws_query_call(&r.f.client, &AWS_SVC_STS, "AssumeRoleWithWebIdentity", "2011-06-15",
                            &params, AWS_CALL_UNSIGNED | AWS_CALL_SECRET_BODY, &root, &e);
    aws_params_free(&params);
    size_t sent = loopback_request_count(r.proxy);
    remote_stop(&r);
    CHECK_INT(rc, -1);
    CHECK_INT(e.kind, ERR_USAGE);
    CHECK_CONTAINS(e.message, "AssumeRoleWithWebIdentity: the STS endpoint "
                              "http://aws.example.invalid/ (from --endpoint-url) is plain http://");
    CHECK_CONTAINS(e.message, "--allow-plain-http does not change that");
    CHECK_INT(sent, 0);
}

/* ---- proxies -------------------------------------------------------------------- */

TEST(container_endpoints_skip_proxies)
{
    /* ECS 169.254.170.2, EKS Pod Identity 169.254.170.23 and fd00:ec2::23,
     * in the spellings inet_pton accepts. */
    const char *direct[] = {"169.254.170.2", "169.254.170.23", "fd00:ec2::23",
                            "FD00:EC2:0:0:0:0:0:23", "fd00:0ec2::0023"};
    for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
        CHECK_MSG(http_host_bypasses_proxy(direct[i]), "%s would go through a proxy", direct[i]);
    CHECK(!http_host_bypasses_proxy("fd00:ec2::24"));
    CHECK(!http_host_bypasses_proxy("fd00:ec3::23"));
}
