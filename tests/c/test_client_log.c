/* What the client logs: one debug line per attempt with the service,
 * action, attempt, status and request id; bodies at trace level; and never
 * a secret, whatever the level. */
#include "client_fixture.h"
#include "util/log.h"

struct capture {
    struct buf all;
    int lines;
};

static void sink(enum log_level level, const char *line, void *ud)
{
    (void)level;
    struct capture *c = ud;
    buf_puts(&c->all, line);
    buf_putc(&c->all, '\n');
    c->lines++;
}

#define NEW_SECRET "NewSecretFromStsResponse/0123456789abcdefABCD"
#define NEW_TOKEN "NewSessionTokenFromSts+AAAAbbbbCCCCddddEEEE//=="
#define WEB_TOKEN "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3ZWItaWRlbnRpdHkifQ.c2lnbmF0dXJl"

static const char *const ASSUME_ROLE_ANSWER =
    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    "<AssumeRoleWithWebIdentityResult><Credentials>"
    "<AccessKeyId>ASIANEWKEY0000000001</AccessKeyId>"
    "<SecretAccessKey>" NEW_SECRET "</SecretAccessKey>"
    "<SessionToken>" NEW_TOKEN "</SessionToken>"
    "<Expiration>2030-01-01T00:00:00Z</Expiration>"
    "</Credentials></AssumeRoleWithWebIdentityResult>"
    "<ResponseMetadata><RequestId>sts-req-7</RequestId></ResponseMetadata>"
    "</AssumeRoleWithWebIdentityResponse>";

static const char *find_any(const char *hay, const char *const *needles, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(hay, needles[i]))
            return needles[i];
    return NULL;
}

TEST(no_secret_is_ever_logged_at_trace)
{
    struct fixture f;
    fixture_start_opts(&f, 0, FIX_TOKEN);
    struct capture cap = {BUF_INIT, 0};
    log_set_sink(sink, &cap);
    log_set_level(LOG_TRACE);

    /* A signed Query call with a session token that fails once (so error
     * paths log too), an unsigned call carrying a web identity token whose
     * answer holds new credentials, and a JSON call whose answer does. */
    loopback_push(f.lb, 500, XML_HDR, query_error_body("InternalFailure", "try again"));
    loopback_push(f.lb, 200, XML_HDR "x-amzn-RequestId: q-req-2\r\n",
                  "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>1</Account>"
                  "</GetCallerIdentityResult></GetCallerIdentityResponse>");
    loopback_push(f.lb, 200, XML_HDR, ASSUME_ROLE_ANSWER);
    loopback_push(f.lb, 200, JSON_HDR "x-amzn-RequestId: j-req-1\r\n",
                  "{\"credentials\":{\"secretAccessKey\":\"" NEW_SECRET
                  "\",\"sessionToken\":\"" NEW_TOKEN "\"},\"nextToken\":\"page-2\"}");
    struct xml_node *root;
    struct err e;
    int rc1 = aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e);
    xml_free(root);
    struct aws_params p = AWS_PARAMS_INIT;
    aws_params_add(&p, "RoleArn", "arn:aws:iam::123456789012:role/deployer");
    aws_params_add(&p, "RoleSessionName", "ecs-rollout");
    aws_params_add(&p, "WebIdentityToken", WEB_TOKEN);
    int rc2 = aws_query_call(&f.client, &AWS_SVC_STS, "AssumeRoleWithWebIdentity", "2011-06-15", &p,
                             AWS_CALL_UNSIGNED, &root, &e);
    aws_params_free(&p);
    xml_free(root);
    cJSON *resp;
    int rc3 = aws_json_call(&f.client, &AWS_SVC_ECS, "AmazonEC2ContainerServiceV20141113",
                            "GetSecretThing", NULL, &resp, &e);
    cJSON_Delete(resp);

    log_set_sink(NULL, NULL);
    log_set_level(LOG_WARN);
    /* The signatures the client computed are not to be logged either. */
    char sig1[80] = "", sig2[80] = "";
    const char *a1 = loopback_request_header(loopback_request_at(f.lb, 1), "Authorization");
    const char *a2 = loopback_request_header(loopback_request_at(f.lb, 3), "Authorization");
    if (a1 && strstr(a1, "Signature="))
        snprintf(sig1, sizeof(sig1), "%s", strstr(a1, "Signature=") + 10);
    if (a2 && strstr(a2, "Signature="))
        snprintf(sig2, sizeof(sig2), "%s", strstr(a2, "Signature=") + 10);
    fixture_stop(&f);
    char *log = buf_steal(&cap.all);

    int ok = rc1 == 0 && rc2 == 0 && rc3 == 0;
    const char *secrets[] = {FIX_SECRET,
                             FIX_TOKEN,
                             NEW_SECRET,
                             NEW_TOKEN,
                             WEB_TOKEN,
                             sig1[0] ? sig1 : "(no signature 1)",
                             sig2[0] ? sig2 : "(no signature 2)"};
    const char *leaked = find_any(log, secrets, sizeof(secrets) / sizeof(secrets[0]));
    /* "****" would mean the log's scrubber had to catch something the
     * client tried to print. */
    int scrubbed = strstr(log, "****") != NULL;
    char head[400];
    snprintf(head, sizeof(head), "%s", log);
    int has_debug =
        strstr(log, "STS GetCallerIdentity: attempt 1/3: HTTP 500") &&
        strstr(log, "STS GetCallerIdentity: attempt 2/3: HTTP 200, request id q-req-2") &&
        strstr(log, "ECS GetSecretThing: attempt 1/3: HTTP 200, request id j-req-1");
    int has_trace = strstr(log, "request body: Action=AssumeRoleWithWebIdentity") &&
                    strstr(log, "WebIdentityToken=<redacted>") &&
                    strstr(log, "<SecretAccessKey><redacted></SecretAccessKey>") &&
                    strstr(log, "\"secretAccessKey\":\"<redacted>\"") &&
                    strstr(log, "\"nextToken\":\"page-2\"") &&
                    strstr(log, "Authorization: <redacted>") &&
                    strstr(log, "X-Amz-Security-Token: <redacted>") &&
                    strstr(log, "<AccessKeyId>ASIANEWKEY0000000001</AccessKeyId>");
    free(log);
    CHECK_MSG(ok, "calls failed: %d %d %d", rc1, rc2, rc3);
    CHECK_MSG(sig1[0] && sig2[0], "no signatures recorded");
    CHECK_MSG(!leaked, "logged a secret: %s", leaked);
    CHECK_MSG(!scrubbed, "the scrubber had to hide something");
    CHECK_MSG(has_debug, "debug lines missing; log starts: %s", head);
    CHECK_MSG(has_trace, "trace lines missing; log starts: %s", head);
    log_clear_secrets();
}

TEST(debug_level_logs_no_bodies)
{
    struct fixture f;
    fixture_start(&f);
    struct capture cap = {BUF_INIT, 0};
    log_set_sink(sink, &cap);
    log_set_level(LOG_DEBUG);
    loopback_push(f.lb, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    loopback_push(f.lb, 200, XML_HDR,
                  "<DescribeAutoScalingGroupsResponse><Marker>body-text</Marker>"
                  "</DescribeAutoScalingGroupsResponse>");
    struct xml_node *root;
    struct err e;
    int rc = aws_query_call(&f.client, &AWS_SVC_AUTOSCALING, "DescribeAutoScalingGroups",
                            "2011-01-01", NULL, 0, &root, &e);
    xml_free(root);
    log_set_sink(NULL, NULL);
    log_set_level(LOG_WARN);
    fixture_stop(&f);
    char *log = buf_steal(&cap.all);
    int has_attempts =
        strstr(log, "Auto Scaling DescribeAutoScalingGroups: attempt 1/3: HTTP 400, request id "
                    "req-Throttling, error Throttling") &&
        strstr(log, "retrying in 0.500 s") &&
        strstr(log, "Auto Scaling DescribeAutoScalingGroups: attempt 2/3: HTTP 200");
    int has_body = strstr(log, "body-text") != NULL || strstr(log, "Action=") != NULL;
    int lines = cap.lines;
    char copy[600];
    snprintf(copy, sizeof(copy), "%s", log);
    free(log);
    CHECK_INT(rc, 0);
    CHECK_MSG(has_attempts, "log: %s", copy);
    CHECK_MSG(!has_body, "bodies at debug level: %s", copy);
    CHECK_INT(lines, 3);
    log_clear_secrets();
}

TEST(secrets_echoed_by_a_server_are_scrubbed)
{
    /* The second line of defence: a server that echoes the session token
     * (a misbehaving proxy) gets it masked in logs and in the error. */
    struct fixture f;
    fixture_start_opts(&f, 0, FIX_TOKEN);
    f.client.retry.max_attempts = 1;
    struct capture cap = {BUF_INIT, 0};
    log_set_sink(sink, &cap);
    log_set_level(LOG_TRACE);
    loopback_push(f.lb, 400, XML_HDR, query_error_body("InvalidToken", "bad token " FIX_TOKEN));
    struct xml_node *root;
    struct err e;
    int rc = aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                            &root, &e);
    log_set_sink(NULL, NULL);
    log_set_level(LOG_WARN);
    fixture_stop(&f);
    char *log = buf_steal(&cap.all);
    int leaked = strstr(log, FIX_TOKEN) != NULL, masked = strstr(log, "bad token ****") != NULL;
    free(log);
    CHECK_INT(rc, -1);
    CHECK(!leaked);
    CHECK(masked);
    CHECK(strstr(e.message, FIX_TOKEN) == NULL);
    CHECK_STR(e.message, "GetCallerIdentity: bad token ****");
    log_clear_secrets();
}

/* Found by fuzz_response: the excerpt of an answer the client cannot read
 * quoted the body as it was, so a cut-short STS answer put credentials that
 * are not registered yet (they are being read) into the error message. */
TEST(unreadable_answers_are_quoted_without_credentials)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 1;
    /* The STS answer cut short inside the session token. */
    const char *cut = strstr(ASSUME_ROLE_ANSWER, "<SecretAccessKey>");
    char *xml_body = strndup(cut, strlen("<SecretAccessKey>" NEW_SECRET "</SecretAccessKey>"
                                         "<SessionToken>NewSessionToken"));
    loopback_push(f.lb, 200, XML_HDR, xml_body);
    free(xml_body);
    /* JSON cut short, as a credentials endpoint or a proxy might. */
    loopback_push(f.lb, 200, JSON_HDR,
                  "{\"Credentials\": {\"SecretAccessKey\": \"" NEW_SECRET
                  "\", \"SessionToken\": \"" NEW_TOKEN "\", \"Expir");
    /* An error status with a body that is no AWS error. */
    loopback_push(f.lb, 502, "Content-Type: text/plain\r\n",
                  "upstream said: \"secretAccessKey\":\"" NEW_SECRET "\"");
    struct xml_node *root;
    cJSON *doc;
    struct err e1, e2, e3;
    int rc1 = aws_query_call(&f.client, &AWS_SVC_STS, "AssumeRoleWithWebIdentity", "2011-06-15",
                             NULL, 0, &root, &e1);
    int rc2 = aws_json_call(&f.client, &AWS_SVC_ECS, "AmazonEC2ContainerServiceV20141113",
                            "ListClusters", NULL, &doc, &e2);
    int rc3 = aws_json_call(&f.client, &AWS_SVC_ECS, "AmazonEC2ContainerServiceV20141113",
                            "ListClusters", NULL, &doc, &e3);
    fixture_stop(&f);
    CHECK_INT(rc1, -1);
    CHECK_INT(rc2, -1);
    CHECK_INT(rc3, -1);
    const char *secrets[] = {NEW_SECRET, NEW_TOKEN, "NewSessionToken"};
    const struct err *errs[] = {&e1, &e2, &e3};
    for (size_t i = 0; i < 3; i++) {
        CHECK_INT(errs[i]->kind, ERR_PROTOCOL);
        const char *leak = find_any(errs[i]->message, secrets, 3);
        CHECK_MSG(!leak, "error %zu shows %s: %s", i + 1, leak, errs[i]->message);
    }
    CHECK_CONTAINS(e1.message,
                   "<SecretAccessKey><redacted></SecretAccessKey><SessionToken><redacted>");
    CHECK_CONTAINS(e2.message,
                   "\"SecretAccessKey\": \"<redacted>\", \"SessionToken\": \"<redacted>\"");
    CHECK_CONTAINS(e3.message, "upstream said: \"secretAccessKey\":\"<redacted>\"");
}
