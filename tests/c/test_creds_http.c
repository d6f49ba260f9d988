/* The credential sources that talk HTTP, against loopback servers standing
 * in for the ECS container credentials endpoint and EC2 instance metadata
 * (IMDSv2), alone, in the chain, behind role_arn and behind the cache. */
#include <pthread.h>
#include <stdlib.h>

#include "aws/config.h"
#include "aws/creds.h"
#include "aws/creds/providers.h"
#include "aws/http.h"
#include "loopback.h"
#include "test.h"
#include "test_creds_support.h"

#define SECRET_C "containerSecretCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
#define TOKEN_C "containerSessionTokenCCCCCCCCCCCCCCCCCCCCCCCCC"
#define SECRET_I "imdsSecretIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII"
#define TOKEN_I "imdsSessionTokenIIIIIIIIIIIIIIIIIIIIIIIIIIIIII"
#define IMDS_TOKEN "AQAEAimds-v2-token-value=="

static struct http_client *new_http(void)
{
    struct http_options o = {0};
    struct err err;
    struct http_client *h = http_client_new(&o, &err);
    if (!h) {
        fprintf(stderr, "http_client_new: %s\n", err.message);
        abort();
    }
    return h;
}

static char *container_json(time_t expiration)
{
    char when[32];
    cred_format_time(expiration, when);
    struct buf b = BUF_INIT;
    buf_printf(&b,
               "{\"RoleArn\": \"arn:aws:iam::1:role/task\", \"AccessKeyId\": \"ASIACONTAINER\", "
               "\"SecretAccessKey\": \"%s\", \"Token\": \"%s\", \"Expiration\": \"%s\"}",
               SECRET_C, TOKEN_C, when);
    return buf_steal(&b);
}

/* A URL on 127.0.0.1 where nothing listens. */
static char *closed_url(void)
{
    struct loopback *lb = loopback_start();
    char *url = xstrdup(loopback_url(lb));
    loopback_stop(lb);
    return url;
}

/* ---- container credentials ------------------------------------------- */

TEST(container_relative_uri_with_token)
{
    tenv_clear();
    struct loopback *lb = loopback_start();
    struct http_client *http = new_http();
    char *body = container_json(time(NULL) + 3600);
    loopback_push(lb, 200, "Content-Type: application/json\r\n", body);
    setenv("ECS_ROLLOUT_TEST_CONTAINER_HOST", loopback_url(lb), 1);
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/5f1e-task", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic env-auth-token-1234", 1);
    struct cred_provider *p = cred_ecs_new(http);
    struct aws_credentials c;
    struct err err;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIACONTAINER");
    CHECK_STR(c.secret_access_key, SECRET_C);
    CHECK_STR(c.session_token, TOKEN_C);
    CHECK(c.expiration > time(NULL));
    CHECK_CONTAINS(c.source, "container credentials");
    aws_credentials_free(&c);
    CHECK_INT(loopback_request_count(lb), 1);
    const struct loopback_request *r = loopback_request_at(lb, 0);
    CHECK_STR(r->method, "GET");
    CHECK_STR(r->path, "/v2/credentials/5f1e-task");
    CHECK_STR(loopback_request_header(r, "Authorization"), "Basic env-auth-token-1234");
    cred_provider_free(p);
    http_client_free(http);
    loopback_stop(lb);
    free(body);
    tenv_clear();
}

TEST(container_full_uri_rereads_the_token_file)
{
    tenv_clear();
    struct loopback *lb = loopback_start();
    struct http_client *http = new_http();
    char *body = container_json(time(NULL) + 3600);
    loopback_push_n(lb, 2, 200, "Content-Type: application/json\r\n", body);
    char *dir = tdir_new();
    char *tok = tdir_write(dir, "token", "file-token-one\n");
    struct buf url = BUF_INIT;
    buf_printf(&url, "%s/get-credentials?a=1", loopback_url(lb));
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", buf_cstr(&url), 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tok, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-file-set", 1);
    struct cred_provider *p = cred_ecs_new(http);
    struct aws_credentials c;
    struct err err;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    free(tdir_write(dir, "token", "file-token-two"));
    rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK_INT(loopback_request_count(lb), 2);
    CHECK_STR(loopback_request_at(lb, 0)->path, "/get-credentials");
    CHECK_STR(loopback_request_at(lb, 0)->query, "a=1");
    CHECK_STR(loopback_request_header(loopback_request_at(lb, 0), "Authorization"),
              "file-token-one");
    CHECK_STR(loopback_request_header(loopback_request_at(lb, 1), "Authorization"),
              "file-token-two");

    /* A token file that went away is an error naming it. */
    unlink(tok);
    int absent;
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_CONTAINS(err.message, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    CHECK_CONTAINS(err.message, tok);
    cred_provider_free(p);
    http_client_free(http);
    loopback_stop(lb);
    buf_free(&url);
    free(tok);
    free(body);
    tdir_remove(dir);
    tenv_clear();
}

TEST(container_full_uri_host_rules)
{
    tenv_clear();
    struct http_client *http = new_http();
    struct cred_provider *p = cred_ecs_new(http);
    struct aws_credentials c;
    struct err err;
    int absent;
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    CHECK_CONTAINS(err.message, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://metadata.example.com/creds", 1);
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_CONTAINS(err.message, "uses plain http to host metadata.example.com");
    CHECK_CONTAINS(err.message, "use https");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.99/creds", 1);
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_CONTAINS(err.message, "uses plain http to host 169.254.170.99");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds", 1);
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_CONTAINS(err.message, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    CHECK_CONTAINS(err.message, "ftp");

    /* Loopback hosts are allowed: this one refuses the connection. */
    char *url = closed_url();
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_CONTAINS(err.message, "container credentials (");
    CHECK_CONTAINS(err.message, "is the ECS agent");
    free(url);
    cred_provider_free(p);
    http_client_free(http);
    tenv_clear();
}

TEST(container_errors_name_the_endpoint_and_fix)
{
    tenv_clear();
    struct loopback *lb = loopback_start();
    struct http_client *http = new_http();
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", loopback_url(lb), 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token-value", 1);
    struct cred_provider *p = cred_ecs_new(http);
    struct aws_credentials c;
    struct err err;
    loopback_push(lb, 401, NULL, "{\"message\": \"bad token\"}");
    CHECK_INT(cred_provider_get(p, &c, &err), -1);
    CHECK_CONTAINS(err.message, "answered HTTP 401: {\"message\": \"bad token\"}");
    CHECK_CONTAINS(err.message, "check AWS_CONTAINER_AUTHORIZATION_TOKEN");
    loopback_push(lb, 200, NULL, "<html>proxy</html>");
    CHECK_INT(cred_provider_get(p, &c, &err), -1);
    CHECK_CONTAINS(err.message, "answered invalid JSON at line 1");
    loopback_push(lb, 200, NULL, "{\"AccessKeyId\": \"ASIA\", \"Token\": \"t\"}");
    CHECK_INT(cred_provider_get(p, &c, &err), -1);
    CHECK_CONTAINS(err.message, "no SecretAccessKey");
    /* 5xx is retried. */
    char *body = container_json(time(NULL) + 3600);
    loopback_push(lb, 503, NULL, "busy");
    loopback_push(lb, 200, NULL, body);
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK_INT(loopback_request_count(lb), 5);
    cred_provider_free(p);
    http_client_free(http);
    loopback_stop(lb);
    free(body);
    tenv_clear();
}

/* ---- EC2 instance metadata -------------------------------------------- */

struct imds_state {
    pthread_mutex_t lock;
    int tokens_issued;
    int reject_next_get; /* answer the next GET with 401 (token expired) */
    int no_v2;           /* answer the token PUT with 404 */
    int no_role;
    const char *code; /* "Code" in the credentials document */
    long lifetime;
};

static void imds_handler(const struct loopback_request *req, struct loopback_reply *reply, void *ud)
{
    struct imds_state *st = ud;
    pthread_mutex_lock(&st->lock);
    if (strcmp(req->method, "PUT") == 0 && strcmp(req->path, "/latest/api/token") == 0) {
        if (st->no_v2) {
            reply->status = 404;
        } else if (!loopback_request_header(req, "X-aws-ec2-metadata-token-ttl-seconds")) {
            reply->status = 400;
        } else {
            st->tokens_issued++;
            buf_printf(&reply->body, "%s%d", IMDS_TOKEN, st->tokens_issued);
        }
        pthread_mutex_unlock(&st->lock);
        return;
    }
    char want[64];
    snprintf(want, sizeof(want), "%s%d", IMDS_TOKEN, st->tokens_issued);
    const char *got = loopback_request_header(req, "X-aws-ec2-metadata-token");
    if (strcmp(req->method, "GET") != 0 || (!st->no_v2 && (!got || strcmp(got, want) != 0)) ||
        st->reject_next_get) {
        st->reject_next_get = 0;
        reply->status = 401;
    } else if (strcmp(req->path, "/latest/meta-data/iam/security-credentials/") == 0) {
        if (st->no_role)
            reply->status = 404;
        else
            buf_puts(&reply->body, "ecs-instance-role\n");
    } else if (strcmp(req->path, "/latest/meta-data/iam/security-credentials/ecs-instance-role") ==
               0) {
        char when[32];
        cred_format_time(time(NULL) + st->lifetime, when);
        buf_printf(&reply->body,
                   "{\"Code\": \"%s\", \"LastUpdated\": \"2024-01-01T00:00:00Z\", \"Type\": "
                   "\"AWS-HMAC\", \"AccessKeyId\": \"ASIAIMDS\", \"SecretAccessKey\": \"%s\", "
                   "\"Token\": \"%s\", \"Expiration\": \"%s\"}",
                   st->code, SECRET_I, TOKEN_I, when);
    } else {
        reply->status = 404;
    }
    pthread_mutex_unlock(&st->lock);
}

struct imds_fixture {
    struct loopback *lb;
    struct http_client *http;
    struct imds_state st;
};

static void imds_setup(struct imds_fixture *f)
{
    tenv_clear();
    unsetenv("AWS_EC2_METADATA_DISABLED");
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->st.lock, NULL);
    f->st.code = "Success";
    f->st.lifetime = 6 * 3600;
    f->lb = loopback_start();
    loopback_set_handler(f->lb, imds_handler, &f->st);
    f->http = new_http();
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", loopback_url(f->lb), 1);
}

static void imds_teardown(struct imds_fixture *f)
{
    http_client_free(f->http);
    loopback_stop(f->lb);
    pthread_mutex_destroy(&f->st.lock);
    tenv_clear();
}

TEST(imds_v2_token_flow)
{
    struct imds_fixture f;
    imds_setup(&f);
    struct cred_provider *p = cred_imds_new(f.http, NULL, "default");
    struct aws_credentials c;
    struct err err;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAIMDS");
    CHECK_STR(c.secret_access_key, SECRET_I);
    CHECK_STR(c.session_token, TOKEN_I);
    CHECK(c.expiration > time(NULL) + 5 * 3600);
    CHECK_CONTAINS(c.source, "EC2 instance metadata (role ecs-instance-role)");
    aws_credentials_free(&c);
    CHECK_INT(loopback_request_count(f.lb), 3);
    const struct loopback_request *put = loopback_request_at(f.lb, 0);
    CHECK_STR(put->method, "PUT");
    CHECK_STR(put->path, "/latest/api/token");
    CHECK_STR(loopback_request_header(put, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
    CHECK_STR(loopback_request_at(f.lb, 1)->path, "/latest/meta-data/iam/security-credentials/");
    CHECK_STR(loopback_request_header(loopback_request_at(f.lb, 1), "X-aws-ec2-metadata-token"),
              IMDS_TOKEN "1");
    CHECK_STR(loopback_request_at(f.lb, 2)->path,
              "/latest/meta-data/iam/security-credentials/ecs-instance-role");

    /* The token is reused; an expired one (401) is replaced once. */
    rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK_INT(loopback_request_count(f.lb), 5);
    CHECK_INT(f.st.tokens_issued, 1);
    f.st.reject_next_get = 1;
    rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK_INT(f.st.tokens_issued, 2);
    cred_provider_free(p);
    imds_teardown(&f);
}

TEST(imds_endpoint_from_the_profile)
{
    struct imds_fixture f;
    imds_setup(&f);
    char *dir = tdir_new();
    struct buf text = BUF_INIT;
    buf_printf(&text, "[default]\nec2_metadata_service_endpoint = %s/\n", loopback_url(f.lb));
    char *cfg = tdir_write(dir, "config", buf_cstr(&text));
    buf_free(&text);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    struct aws_shared_config sc;
    struct err err;
    CHECK_INT(aws_shared_config_load(&sc, &err), 0);
    struct cred_provider *p = cred_imds_new(f.http, &sc, "default");
    struct aws_credentials c;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAIMDS");
    aws_credentials_free(&c);
    CHECK_STR(loopback_request_at(f.lb, 0)->path, "/latest/api/token");
    cred_provider_free(p);
    aws_shared_config_free(&sc);
    free(cfg);
    tdir_remove(dir);
    imds_teardown(&f);
}

TEST(imds_falls_back_to_v1_without_token_support)
{
    struct imds_fixture f;
    imds_setup(&f);
    f.st.no_v2 = 1;
    struct cred_provider *p = cred_imds_new(f.http, NULL, "default");
    struct aws_credentials c;
    struct err err;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK(loopback_request_header(loopback_request_at(f.lb, 1), "X-aws-ec2-metadata-token") ==
          NULL);
    cred_provider_free(p);
    imds_teardown(&f);
}

TEST(imds_absent_or_broken)
{
    struct imds_fixture f;
    imds_setup(&f);
    struct cred_provider *p = cred_imds_new(f.http, NULL, "default");
    struct aws_credentials c;
    struct err err;
    int absent;
    f.st.no_role = 1;
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    CHECK_CONTAINS(err.message, "no IAM role attached to this instance");
    f.st.no_role = 0;
    f.st.code = "AssumeRoleUnauthorizedAccess";
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_CONTAINS(err.message, "credentials not available: AssumeRoleUnauthorizedAccess");

    setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
    size_t before = loopback_request_count(f.lb);
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    CHECK_CONTAINS(err.message, "turned off by AWS_EC2_METADATA_DISABLED");
    CHECK_INT(loopback_request_count(f.lb), before);
    cred_provider_free(p);
    imds_teardown(&f);
}

/* An answer that is not a Success can still carry keys (fuzz_creds_json
 * found one whose Code quoted the secret): the message never shows them. */
TEST(imds_failure_message_never_shows_the_keys)
{
    const char *doc = "{\"Code\": \"Failedsecret/KEY+0123456789Z\", "
                      "\"Message\": \"token IQoJtoken/0123456789\", "
                      "\"SecretAccessKey\": \"secret/KEY+0123456789\", "
                      "\"Token\": \"IQoJtoken/0123456789\"}";
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.status = 200;
    buf_puts(&resp.body, doc);
    struct aws_credentials c;
    memset(&c, 0, sizeof(c));
    struct err err;
    err_clear(&err);
    CHECK_INT(cred_imds_parse_credentials("EC2 instance metadata (role r)", &resp, &c, &err), -1);
    CHECK_CONTAINS(err.message, "credentials not available: Failed****Z: token ****;");
    CHECK(strstr(err.message, "secret/KEY+0123456789") == NULL);
    CHECK(strstr(err.message, "IQoJtoken/0123456789") == NULL);
    http_response_free(&resp);
    log_clear_secrets();
}

TEST(imds_down_fails_fast_as_absent)
{
    tenv_clear();
    unsetenv("AWS_EC2_METADATA_DISABLED");
    char *url = closed_url();
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    struct http_client *http = new_http();
    struct cred_provider *p = cred_imds_new(http, NULL, "default");
    struct aws_credentials c;
    struct err err;
    int absent;
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    CHECK_CONTAINS(err.message, "EC2 instance metadata (");
    CHECK_CONTAINS(err.message, url);
    CHECK_CONTAINS(err.message, "no answer");
    CHECK_CONTAINS(err.message, "not on EC2");
    cred_provider_free(p);

    /* In the chain it is one of the places listed. */
    struct cred_chain_options opts = {.http = http};
    p = cred_default_chain_new(&opts, &err);
    CHECK(p != NULL);
    CHECK_INT(cred_provider_get(p, &c, &err), -1);
    CHECK_CONTAINS(err.message, "no AWS credentials found");
    CHECK_CONTAINS(err.message, "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    CHECK_CONTAINS(err.message, "EC2 instance metadata (");
    cred_provider_free(p);
    http_client_free(http);
    free(url);
    tenv_clear();
}

TEST(chain_uses_container_then_instance_metadata)
{
    struct imds_fixture f;
    imds_setup(&f);
    struct cred_chain_options opts = {.http = f.http};
    struct err err;
    struct cred_provider *p = cred_default_chain_new(&opts, &err);
    CHECK_MSG(p != NULL, "%s", err.message);
    struct aws_credentials c;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAIMDS");
    aws_credentials_free(&c);
    cred_provider_free(p);

    /* The container endpoint comes before instance metadata. */
    struct loopback *ecs = loopback_start();
    char *body = container_json(time(NULL) + 3600);
    loopback_push(ecs, 200, NULL, body);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", loopback_url(ecs), 1);
    size_t imds_before = loopback_request_count(f.lb);
    p = cred_default_chain_new(&opts, &err);
    rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIACONTAINER");
    aws_credentials_free(&c);
    cred_provider_free(p);
    CHECK_INT(loopback_request_count(f.lb), imds_before);
    loopback_stop(ecs);
    free(body);
    imds_teardown(&f);
}

TEST(role_with_instance_metadata_or_container_source)
{
    struct imds_fixture f;
    imds_setup(&f);
    char *dir = tdir_new();
    char *cfg = tdir_write(dir, "config",
                           "[profile from-ec2]\nrole_arn = arn:aws:iam::1:role/ec2\n"
                           "credential_source = Ec2InstanceMetadata\n"
                           "[profile from-ecs]\nrole_arn = arn:aws:iam::1:role/ecs\n"
                           "credential_source = EcsContainer\n");
    setenv("AWS_CONFIG_FILE", cfg, 1);
    struct fake_sts sts;
    fake_sts_init(&sts);
    struct cred_chain_options opts = {.http = f.http, .sts = &sts.ops, .profile = "from-ec2"};
    struct err err;
    struct cred_provider *p = cred_default_chain_new(&opts, &err);
    CHECK_MSG(p != NULL, "%s", err.message);
    struct aws_credentials c;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAROLEKEY");
    CHECK_STR(sts.source_key_id, "ASIAIMDS");
    CHECK_STR(sts.role_arn, "arn:aws:iam::1:role/ec2");
    aws_credentials_free(&c);
    cred_provider_free(p);

    struct loopback *ecs = loopback_start();
    char *body = container_json(time(NULL) + 3600);
    loopback_push(ecs, 200, NULL, body);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", loopback_url(ecs), 1);
    opts.profile = "from-ecs";
    p = cred_default_chain_new(&opts, &err);
    rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(sts.source_key_id, "ASIACONTAINER");
    aws_credentials_free(&c);
    cred_provider_free(p);
    loopback_stop(ecs);

    /* The source is down: the message says which profile needed it. */
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    p = cred_default_chain_new(&opts, &err);
    CHECK_INT(cred_provider_get(p, &c, &err), -1);
    CHECK_CONTAINS(err.message, "profile 'from-ecs' (role_arn arn:aws:iam::1:role/ecs): cannot "
                                "get the credentials to assume the role with: container: ");
    cred_provider_free(p);
    free(body);
    free(cfg);
    tdir_remove(dir);
    imds_teardown(&f);
}

static time_t fake_now(void *ud)
{
    return *(time_t *)ud;
}

TEST(cache_refreshes_instance_metadata_credentials)
{
    struct imds_fixture f;
    imds_setup(&f);
    f.st.lifetime = 3600;
    time_t now = time(NULL);
    struct cred_clock clock = {fake_now, &now};
    struct cred_provider *p = cred_cache_new(cred_imds_new(f.http, NULL, "default"), &clock);
    struct aws_credentials c;
    struct err err;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    size_t after_first = loopback_request_count(f.lb);
    now += 3000;
    CHECK_INT(cred_provider_get(p, &c, &err), 0);
    aws_credentials_free(&c);
    CHECK_INT(loopback_request_count(f.lb), after_first);
    /* Within the refresh window: fetched again (the server's clock has not
     * moved, so the new credentials carry a later expiry than the old). */
    now += 3600 - 3000 - CRED_REFRESH_AHEAD_S + 10;
    CHECK_INT(cred_provider_get(p, &c, &err), 0);
    aws_credentials_free(&c);
    CHECK(loopback_request_count(f.lb) > after_first);
    cred_provider_free(p);
    imds_teardown(&f);
}
