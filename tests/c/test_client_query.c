/* The Query protocol end to end against the loopback server. */
#include <ctype.h>

#include "client_fixture.h"

static const char *const OK_BODY =
    "<DescribeAutoScalingGroupsResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
    "<DescribeAutoScalingGroupsResult><AutoScalingGroups><member>"
    "<AutoScalingGroupName>asg-1</AutoScalingGroupName><DesiredCapacity>3</DesiredCapacity>"
    "</member></AutoScalingGroups></DescribeAutoScalingGroupsResult>"
    "<ResponseMetadata><RequestId>rid-ok</RequestId></ResponseMetadata>"
    "</DescribeAutoScalingGroupsResponse>";

TEST(form_encoding_headers_signature_and_result)
{
    struct fixture f;
    fixture_start(&f);
    loopback_push(f.lb, 200, XML_HDR, OK_BODY);
    struct aws_params p = AWS_PARAMS_INIT;
    const char *names[] = {"asg-1", "a b/c+d=e&f", "\xc3\xa9t\xc3\xa9~_.-"};
    aws_params_add_list(&p, "AutoScalingGroupNames", names, 3);
    aws_params_add_list(&p, "Filters", NULL, 0);
    aws_params_addf(&p, "MaxRecords", "%d", 100);
    aws_params_add(&p, "Flag", "true");
    struct xml_node *root;
    struct err e;
    int rc = aws_query_call(&f.client, &AWS_SVC_AUTOSCALING, "DescribeAutoScalingGroups",
                            "2011-01-01", &p, 0, &root, &e);
    aws_params_free(&p);
    CHECK_MSG(rc == 0, "call: %s", e.message);
    CHECK_STR(root->name, "DescribeAutoScalingGroupsResponse");
    CHECK_STR(xml_text(root, "DescribeAutoScalingGroupsResult/AutoScalingGroups/member/"
                             "DesiredCapacity"),
              "3");
    xml_free(root);

    CHECK_INT(loopback_request_count(f.lb), 1);
    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK_STR(r->method, "POST");
    CHECK_STR(r->path, "/");
    CHECK(r->query == NULL);
    CHECK_STR(r->body, "Action=DescribeAutoScalingGroups&Version=2011-01-01"
                       "&AutoScalingGroupNames.member.1=asg-1"
                       "&AutoScalingGroupNames.member.2=a%20b%2Fc%2Bd%3De%26f"
                       "&AutoScalingGroupNames.member.3=%C3%A9t%C3%A9~_.-"
                       "&Filters=&MaxRecords=100&Flag=true");
    CHECK_STR(loopback_request_header(r, "Content-Type"),
              "application/x-www-form-urlencoded; charset=utf-8");
    CHECK(loopback_request_header(r, "X-Amz-Target") == NULL);
    CHECK(loopback_request_header(r, "X-Amz-Security-Token") == NULL);
    CHECK_STR(loopback_request_header(r, "User-Agent"), "ecs-rollout/" ECSR_VERSION);
    CHECK_STR(loopback_request_header(r, "X-Amz-Date"), "20231114T221320Z");
    const char *auth = loopback_request_header(r, "Authorization");
    CHECK_CONTAINS(auth, "Credential=" FIX_AKID "/20231114/us-east-1/autoscaling/aws4_request");
    CHECK_CONTAINS(auth, "SignedHeaders=content-type;host;x-amz-date,");
    const char *why = fixture_verify_signature(r, "autoscaling", NULL);
    CHECK_MSG(why == NULL, "%s", why);
    CHECK_INT(f.client.stats.calls, 1);
    CHECK_INT(f.client.stats.attempts, 1);
    CHECK_INT(f.client.stats.retries, 0);
    fixture_stop(&f);
}

TEST(session_token_is_sent_and_signed)
{
    struct fixture f;
    fixture_start_opts(&f, 0, FIX_TOKEN);
    loopback_push(f.lb, 200, XML_HDR,
                  "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012"
                  "</Account></GetCallerIdentityResult></GetCallerIdentityResponse>");
    struct xml_node *root;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e),
              0);
    CHECK_STR(xml_text(root, "GetCallerIdentityResult/Account"), "123456789012");
    xml_free(root);
    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK_STR(r->body, "Action=GetCallerIdentity&Version=2011-06-15");
    CHECK_CONTAINS(loopback_request_header(r, "Authorization"),
                   "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,");
    CHECK_CONTAINS(loopback_request_header(r, "Authorization"), "/us-east-1/sts/aws4_request");
    const char *why = fixture_verify_signature(r, "sts", FIX_TOKEN);
    CHECK_MSG(why == NULL, "%s", why);
    /* A wrong secret gives a different signature: the check can fail. */
    fixture_stop(&f);
}

TEST(signature_check_detects_a_wrong_secret)
{
    struct fixture f;
    fixture_start(&f);
    cred_provider_free(f.creds);
    f.creds = cred_static_new(FIX_AKID, "anotherSecretKey/abcdefghijklmnopqrstuv", NULL);
    f.client.creds = f.creds;
    loopback_push(f.lb, 200, XML_HDR, "<GetCallerIdentityResponse/>");
    struct xml_node *root;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e),
              0);
    xml_free(root);
    CHECK(fixture_verify_signature(loopback_request_at(f.lb, 0), "sts", NULL) != NULL);
    fixture_stop(&f);
}

TEST(unsigned_calls_carry_no_authorization)
{
    struct fixture f;
    fixture_start(&f);
    loopback_push(f.lb, 200, XML_HDR, "<AssumeRoleWithWebIdentityResponse/>");
    struct aws_params p = AWS_PARAMS_INIT;
    aws_params_add(&p, "RoleArn", "arn:aws:iam::123456789012:role/r");
    struct xml_node *root;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "AssumeRoleWithWebIdentity", "2011-06-15", &p,
                             AWS_CALL_UNSIGNED, &root, &e),
              0);
    aws_params_free(&p);
    xml_free(root);
    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK(loopback_request_header(r, "Authorization") == NULL);
    CHECK(loopback_request_header(r, "X-Amz-Date") == NULL);
    fixture_stop(&f);
}

TEST(query_error_has_code_message_and_request_id)
{
    struct fixture f;
    fixture_start(&f);
    loopback_push(f.lb, 400, XML_HDR,
                  query_error_body("ValidationError", "  AutoScalingGroup name not found - x  "));
    struct xml_node *root = NULL;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_AUTOSCALING, "UpdateAutoScalingGroup",
                             "2011-01-01", NULL, 0, &root, &e),
              -1);
    CHECK(root == NULL);
    CHECK_INT(e.kind, ERR_SERVICE);
    CHECK_INT(e.http_status, 400);
    CHECK_STR(e.code, "ValidationError");
    CHECK_STR(e.message, "UpdateAutoScalingGroup: AutoScalingGroup name not found - x");
    CHECK_STR(e.request_id, "req-ValidationError");
    CHECK_INT(loopback_request_count(f.lb), 1);
    CHECK_INT(f.n_sleeps, 0);
    fixture_stop(&f);
}

TEST(ec2_error_shape_and_header_request_id)
{
    struct fixture f;
    fixture_start(&f);
    loopback_push(f.lb, 403, XML_HDR,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                  "<Code>UnauthorizedOperation</Code><Message>You are not authorized</Message>"
                  "</Error></Errors><RequestID>ec2-req-1</RequestID></Response>");
    loopback_push(f.lb, 400, XML_HDR "x-amzn-RequestId: hdr-req-2\r\n",
                  query_error_body("AccessDenied", "User is not authorized"));
    struct xml_node *root;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_EC2, "TerminateInstances", "2016-11-15", NULL, 0,
                             &root, &e),
              -1);
    CHECK_STR(e.code, "UnauthorizedOperation");
    CHECK_STR(e.message, "TerminateInstances: You are not authorized");
    CHECK_STR(e.request_id, "ec2-req-1");
    CHECK_INT(e.http_status, 403);
    CHECK_STR(e.permission, "ec2:TerminateInstances");
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_AUTOSCALING, "SetDesiredCapacity", "2011-01-01",
                             NULL, 0, &root, &e),
              -1);
    CHECK_STR(e.code, "AccessDenied");
    CHECK_STR(e.request_id, "hdr-req-2");
    CHECK_STR(e.permission, "autoscaling:SetDesiredCapacity");
    struct buf text = BUF_INIT;
    err_format(&e, &text);
    CHECK_CONTAINS(buf_cstr(&text), "This is a permissions problem: the credentials in use are "
                                    "not allowed autoscaling:SetDesiredCapacity");
    buf_free(&text);
    CHECK_INT(loopback_request_count(f.lb), 2);
    fixture_stop(&f);
}

static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

TEST(bodies_that_are_neither_give_clear_protocol_errors)
{
    static const struct {
        int status;
        const char *headers;
        const char *body;
        size_t body_len;
        const char *want; /* in the message */
    } cases[] = {
        {200, "Content-Type: text/html\r\n",
         "<html><head><title>Proxy login</title></head><body>Sign in</body></html>", 0,
         "an HTML page"},
        {200, XML_HDR, "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>", 0,
         "malformed XML"},
        {200, XML_HDR, "<SomethingElseResponse/>", 0, "root element is <SomethingElseResponse>"},
        {200, XML_HDR, "", 0, "an empty body"},
        {403, "Content-Type: text/html\r\n", "<!DOCTYPE html><html>Forbidden by proxy</html>", 0,
         "HTTP 403"},
        {400, "Content-Type: application/octet-stream\r\n", "\x01\x02\xff\xfe\x00zz\x1b[31m", 10,
         "10 bytes"},
        {400, XML_HDR, "<ErrorResponse><Error><Message>no code</Message></Error></ErrorResponse>",
         0, "no error code"},
        /* Codes that are no code (found by fuzz_response: a cut one kept
         * a trailing blank). */
        {400, XML_HDR,
         "<ErrorResponse><Error><Code>Throttling Exception</Code></Error></ErrorResponse>", 0,
         "holds no error code that is one word"},
        {400, XML_HDR,
         "<ErrorResponse><Error><Code>"
         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
         "</Code></Error></ErrorResponse>",
         0, "holds no error code that is one word"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fixture f;
        fixture_start(&f);
        struct loopback_spec s = {.status = cases[i].status,
                                  .headers = cases[i].headers,
                                  .body = cases[i].body,
                                  .body_len = cases[i].body_len};
        loopback_push_spec(f.lb, &s);
        struct xml_node *root = NULL;
        struct err e;
        int rc = aws_query_call(&f.client, &AWS_SVC_AUTOSCALING, "DescribeAutoScalingGroups",
                                "2011-01-01", NULL, 0, &root, &e);
        int n_req = (int)loopback_request_count(f.lb);
        fixture_stop(&f);
        CHECK_MSG(rc == -1 && root == NULL, "case %zu accepted", i);
        CHECK_MSG(e.kind == ERR_PROTOCOL, "case %zu: kind %s: %s", i, err_kind_name(e.kind),
                  e.message);
        CHECK_INT(e.http_status, cases[i].status);
        CHECK_MSG(strncmp(e.message, "DescribeAutoScalingGroups: expected ", 36) == 0,
                  "case %zu: %s", i, e.message);
        CHECK_CONTAINS(e.message, "from Auto Scaling at http://127.0.0.1:");
        CHECK_CONTAINS(e.message, cases[i].want);
        CHECK_MSG(printable(e.message), "case %zu: unprintable bytes in: %s", i, e.message);
        CHECK_MSG(strlen(e.message) < 700, "case %zu: message too long", i);
        CHECK_INT(n_req, 1); /* none of these is retried */
    }
}

TEST(long_garbage_is_cut_to_a_short_excerpt)
{
    struct fixture f;
    fixture_start(&f);
    struct buf big = BUF_INIT;
    for (int i = 0; i < 5000; i++)
        buf_puts(&big, "<p>proxy error page</p>\n");
    loopback_push(f.lb, 400, "Content-Type: text/html\r\n", big.data);
    struct xml_node *root;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e),
              -1);
    CHECK_INT(e.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(e.message, "...\"");
    CHECK_CONTAINS(e.message, "an HTML page");
    CHECK(strlen(e.message) < 600);
    buf_free(&big);
    fixture_stop(&f);
}

/* A provider whose keys change at every fetch, as a refreshing cache's would. */
struct rotating {
    struct cred_provider base;
    int calls;
};

static int rotating_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                        struct err *err)
{
    (void)err;
    struct rotating *r = (struct rotating *)self;
    *absent = 0;
    r->calls++;
    char id[32];
    snprintf(id, sizeof(id), "AKIDROTATING%04d", r->calls);
    out->access_key_id = xstrdup(id);
    out->secret_access_key = xstrdup(FIX_SECRET);
    out->source = xstrdup("rotating");
    return 0;
}

TEST(credentials_are_fetched_for_every_attempt)
{
    struct fixture f;
    fixture_start(&f);
    struct rotating rot = {.base = {.name = "rotating", .get = rotating_get}};
    f.client.creds = &rot.base;
    loopback_push(f.lb, 503, XML_HDR, query_error_body("ServiceUnavailable", "try later"));
    loopback_push(f.lb, 200, XML_HDR, "<GetCallerIdentityResponse/>");
    struct xml_node *root;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e),
              0);
    xml_free(root);
    CHECK_INT(rot.calls, 2);
    CHECK_CONTAINS(loopback_request_header(loopback_request_at(f.lb, 0), "Authorization"),
                   "Credential=AKIDROTATING0001/");
    CHECK_CONTAINS(loopback_request_header(loopback_request_at(f.lb, 1), "Authorization"),
                   "Credential=AKIDROTATING0002/");
    fixture_stop(&f);
}

static int failing_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                       struct err *err)
{
    (void)self;
    (void)out;
    *absent = 0;
    return err_set(err, ERR_CREDENTIALS, "credential_process 'x' exited with status 1");
}

TEST(credential_failure_stops_the_call_before_sending)
{
    struct fixture f;
    fixture_start(&f);
    struct cred_provider failing = {.name = "process", .get = failing_get};
    f.client.creds = &failing;
    struct xml_node *root;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e),
              -1);
    CHECK_INT(e.kind, ERR_CREDENTIALS);
    CHECK_STR(e.message, "GetCallerIdentity: credential_process 'x' exited with status 1");
    CHECK_INT(loopback_request_count(f.lb), 0);
    fixture_stop(&f);
}
