/* The JSON 1.1 protocol end to end against the loopback server. */
#include "client_fixture.h"

#define ECS_PREFIX "AmazonEC2ContainerServiceV20141113"

TEST(request_headers_signature_and_result)
{
    struct fixture f;
    fixture_start_opts(&f, 0, FIX_TOKEN);
    loopback_push(f.lb, 200, JSON_HDR "x-amzn-RequestId: ecs-req-1\r\n",
                  "{\"containerInstanceArns\":[\"arn:1\",\"arn:2\"],\"nextToken\":\"n\"}");
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cluster", "prod \"blue\"");
    cJSON_AddStringToObject(req, "status", "ACTIVE");
    cJSON_AddNumberToObject(req, "maxResults", 100);
    cJSON *resp;
    struct err e;
    int rc = aws_json_call(&f.client, &AWS_SVC_ECS, ECS_PREFIX, "ListContainerInstances", req,
                           &resp, &e);
    cJSON_Delete(req);
    CHECK_MSG(rc == 0, "%s", e.message);
    const cJSON *arns = cJSON_GetObjectItem(resp, "containerInstanceArns");
    CHECK_INT(cJSON_GetArraySize(arns), 2);
    CHECK_STR(cJSON_GetArrayItem(arns, 1)->valuestring, "arn:2");
    cJSON_Delete(resp);

    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK_STR(r->method, "POST");
    CHECK_STR(r->path, "/");
    CHECK_STR(r->body,
              "{\"cluster\":\"prod \\\"blue\\\"\",\"status\":\"ACTIVE\",\"maxResults\":100}");
    CHECK_STR(loopback_request_header(r, "Content-Type"), "application/x-amz-json-1.1");
    CHECK_STR(loopback_request_header(r, "X-Amz-Target"), ECS_PREFIX ".ListContainerInstances");
    CHECK_CONTAINS(loopback_request_header(r, "Authorization"),
                   "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,");
    CHECK_CONTAINS(loopback_request_header(r, "Authorization"), "/us-east-1/ecs/aws4_request");
    const char *why = fixture_verify_signature(r, "ecs", FIX_TOKEN);
    CHECK_MSG(why == NULL, "%s", why);
    fixture_stop(&f);
}

TEST(null_request_is_an_empty_object_and_empty_answer_is_too)
{
    struct fixture f;
    fixture_start(&f);
    loopback_push(f.lb, 200, JSON_HDR, "");
    cJSON *resp;
    struct err e;
    CHECK_INT(aws_json_call(&f.client, &AWS_SVC_ECS, ECS_PREFIX, "ListClusters", NULL, &resp, &e),
              0);
    CHECK(cJSON_IsObject(resp));
    CHECK(resp->child == NULL);
    cJSON_Delete(resp);
    CHECK_STR(loopback_request_at(f.lb, 0)->body, "{}");
    fixture_stop(&f);
}

TEST(error_shapes)
{
    static const struct {
        int status;
        const char *headers;
        const char *body;
        const char *code;
        const char *message;
        const char *request_id;
    } cases[] = {
        {400, JSON_HDR "x-amzn-RequestId: r1\r\n",
         "{\"__type\":\"com.amazonaws.ecs#ClientException\",\"message\":\"Cluster not found.\"}",
         "ClientException", "Cluster not found.", "r1"},
        {400, JSON_HDR "X-Amzn-Requestid: r2\r\n",
         "{\"__type\":\"ClusterNotFoundException:http://internal.amazon.com/coral/\","
         "\"Message\":\"The referenced cluster was not found.\"}",
         "ClusterNotFoundException", "The referenced cluster was not found.", "r2"},
        {403, JSON_HDR "x-amz-request-id: r3\r\n", "{\"__type\":\"AccessDeniedException\"}",
         "AccessDeniedException", "(no message)", "r3"},
        {400, JSON_HDR "x-amzn-ErrorType: InvalidParameterException:http://x/\r\n", "",
         "InvalidParameterException", "(no message)", ""},
        {400, JSON_HDR, "{\"code\":\"ValidationException\",\"message\":\"1 validation error\"}",
         "ValidationException", "1 validation error", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fixture f;
        fixture_start(&f);
        loopback_push(f.lb, cases[i].status, cases[i].headers, cases[i].body);
        cJSON *resp = NULL;
        struct err e;
        int rc =
            aws_json_call(&f.client, &AWS_SVC_ECS, ECS_PREFIX, "DescribeClusters", NULL, &resp, &e);
        int n = (int)loopback_request_count(f.lb);
        fixture_stop(&f);
        CHECK_MSG(rc == -1 && resp == NULL, "case %zu accepted", i);
        CHECK_MSG(e.kind == ERR_SERVICE, "case %zu: %s", i, e.message);
        CHECK_STR(e.code, cases[i].code);
        char want[256];
        snprintf(want, sizeof(want), "DescribeClusters: %s", cases[i].message);
        CHECK_STR(e.message, want);
        CHECK_STR(e.request_id, cases[i].request_id);
        CHECK_INT(e.http_status, cases[i].status);
        CHECK_INT(n, 1);
        /* Only a refusal for lack of permission names one. */
        CHECK_STR(e.permission, strcmp(cases[i].code, "AccessDeniedException") == 0
                                    ? "ecs:DescribeClusters"
                                    : "");
    }
}

/* Found by fuzz_response (corpus/response/regress-long-error-type): an
 * error type longer than struct err's code field was cut and kept a
 * trailing blank. A code that is not one word is no AWS error. */
TEST(error_codes_that_are_no_word_are_protocol_errors)
{
    char long_type[300];
    memset(long_type, 'E', sizeof(long_type));
    memcpy(long_type + 126, " x", 2);
    long_type[sizeof(long_type) - 1] = '\0';
    char header[400];
    snprintf(header, sizeof(header), JSON_HDR "x-amzn-ErrorType: %s\r\n", long_type);
    const char *const bodies[] = {"", "{\"__type\":\"Bad Code\",\"message\":\"m\"}",
                                  "{\"__type\":\"aws#\u00e9t\u00e9\"}"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct fixture f;
        fixture_start(&f);
        loopback_push(f.lb, 400, i == 0 ? header : JSON_HDR, bodies[i]);
        cJSON *resp = NULL;
        struct err e;
        int rc =
            aws_json_call(&f.client, &AWS_SVC_ECS, ECS_PREFIX, "DescribeClusters", NULL, &resp, &e);
        fixture_stop(&f);
        CHECK_MSG(rc == -1 && e.kind == ERR_PROTOCOL, "case %zu: %s %s", i, e.code, e.message);
        CHECK_CONTAINS(e.message, "expected an AWS JSON error document");
        CHECK_INT(e.http_status, 400);
    }
}

TEST(bodies_that_are_not_json)
{
    static const struct {
        int status;
        const char *headers;
        const char *body;
        const char *want;
    } cases[] = {
        {200, JSON_HDR, "{\"containerInstanceArns\":[\"arn:1\",",
         "not a JSON object, or truncated"},
        {200, JSON_HDR, "[1,2,3]", "not a JSON object"},
        {200, "Content-Type: text/html\r\n", "<html><body>Login</body></html>", "an HTML page"},
        {400, JSON_HDR, "{\"message\":\"no type here\"}", "no __type in the JSON"},
        {400, "Content-Type: text/plain\r\n", "Bad Request", "\"Bad Request\""},
        {404, JSON_HDR, "", "an empty body"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fixture f;
        fixture_start(&f);
        loopback_push(f.lb, cases[i].status, cases[i].headers, cases[i].body);
        cJSON *resp = NULL;
        struct err e;
        int rc =
            aws_json_call(&f.client, &AWS_SVC_ECS, ECS_PREFIX, "DescribeTasks", NULL, &resp, &e);
        fixture_stop(&f);
        CHECK_MSG(rc == -1 && resp == NULL, "case %zu accepted", i);
        CHECK_MSG(e.kind == ERR_PROTOCOL, "case %zu: %s: %s", i, err_kind_name(e.kind), e.message);
        CHECK_MSG(strncmp(e.message, "DescribeTasks: expected ", 24) == 0, "case %zu: %s", i,
                  e.message);
        CHECK_CONTAINS(e.message, "from ECS at http://127.0.0.1:");
        CHECK_CONTAINS(e.message, cases[i].want);
        CHECK_INT(e.http_status, cases[i].status);
    }
}
