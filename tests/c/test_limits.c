/* What a hostile or broken endpoint cannot make the helper do: read an
 * answer of any length, keep any number of headers, build a tree many times
 * the size of a small answer; and what a stop request does to a request
 * under way (it ends it) and to one started after it (it may not take
 * long). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/http.h"
#include "aws/json_limit.h"
#include "aws/xml.h"
#include "client_fixture.h"
#include "loopback.h"
#include "test.h"
#include "util/buf.h"

static struct http_client *client_with(long timeout_ms, const volatile sig_atomic_t *interrupted)
{
    struct http_options o = {
        .connect_timeout_ms = 2000, .request_timeout_ms = timeout_ms, .interrupted = interrupted};
    struct err e;
    struct http_client *c = http_client_new(&o, &e);
    if (!c) {
        fprintf(stderr, "http_client_new: %s\n", e.message);
        abort();
    }
    return c;
}

static char *filled(size_t n, char ch)
{
    char *s = xmalloc(n + 1);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

/* ---- answer length and headers --------------------------------------------- */

TEST(announced_answer_over_the_limit_is_refused_before_its_body)
{
    struct loopback *lb = loopback_start();
    char *body = filled(2u * 1024 * 1024, 'x');
    loopback_push(lb, 200, "Content-Type: text/plain\r\n", body);
    struct http_client *c = client_with(30000, NULL);
    struct http_request req = {
        .method = "GET", .url = loopback_url(lb), .max_response_bytes = 1024 * 1024};
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    struct err e;
    int rc = http_send(c, &req, &resp, &e);
    size_t got = resp.body.len;
    http_response_free(&resp);
    http_client_free(c);
    loopback_stop(lb);
    free(body);
    CHECK_INT(rc, -1);
    CHECK_INT(e.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(e.message, "is longer than 1048576 bytes, the most this request accepts");
    CHECK_CONTAINS(e.message, "127.0.0.1:");
    CHECK_INT(got, 0);
}

TEST(unannounced_answer_over_the_limit_is_cut_at_the_limit)
{
    /* No Content-Length: the body ends when the connection closes. */
    struct loopback *lb = loopback_start();
    struct buf raw = BUF_INIT;
    buf_puts(&raw, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
    char *body = filled(3u * 1024 * 1024, 'y');
    buf_puts(&raw, body);
    struct loopback_spec spec = {.action = LOOPBACK_RAW, .body = raw.data, .body_len = raw.len};
    loopback_push_spec(lb, &spec);
    struct http_client *c = client_with(30000, NULL);
    struct http_request req = {
        .method = "GET", .url = loopback_url(lb), .max_response_bytes = 1024 * 1024};
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    struct err e;
    int rc = http_send(c, &req, &resp, &e);
    size_t got = resp.body.len;
    http_response_free(&resp);
    http_client_free(c);
    loopback_stop(lb);
    free(body);
    buf_free(&raw);
    CHECK_INT(rc, -1);
    CHECK_INT(e.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(e.message, "is longer than 1048576 bytes");
    CHECK_MSG(got <= 1024 * 1024, "kept %zu bytes", got);
}

TEST(default_limit_applies_when_the_request_names_none)
{
    struct loopback *lb = loopback_start();
    char *body = filled(HTTP_DEFAULT_MAX_RESPONSE_BYTES + 1, 'z');
    loopback_push(lb, 200, NULL, body);
    char *ok = filled(HTTP_DEFAULT_MAX_RESPONSE_BYTES, 'z');
    loopback_push(lb, 200, NULL, ok);
    struct http_client *c = client_with(30000, NULL);
    struct http_request req = {.method = "GET", .url = loopback_url(lb)};
    struct http_response r1, r2;
    memset(&r1, 0, sizeof(r1));
    memset(&r2, 0, sizeof(r2));
    struct err e1, e2;
    int rc1 = http_send(c, &req, &r1, &e1);
    int rc2 = http_send(c, &req, &r2, &e2);
    size_t len2 = r2.body.len;
    http_response_free(&r1);
    http_response_free(&r2);
    http_client_free(c);
    loopback_stop(lb);
    free(body);
    free(ok);
    CHECK_INT(rc1, -1);
    CHECK_INT(e1.kind, ERR_PROTOCOL);
    CHECK_MSG(rc2 == 0, "an answer of exactly the limit: %s", e2.message);
    CHECK_INT(len2, HTTP_DEFAULT_MAX_RESPONSE_BYTES);
}

TEST(too_many_header_lines_are_refused)
{
    struct loopback *lb = loopback_start();
    struct buf raw = BUF_INIT;
    buf_puts(&raw, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 5000; i++)
        buf_printf(&raw, "X-Filler-%d: %d\r\n", i, i);
    buf_puts(&raw, "Content-Length: 2\r\n\r\nok");
    struct loopback_spec spec = {.action = LOOPBACK_RAW, .body = raw.data, .body_len = raw.len};
    loopback_push_spec(lb, &spec);
    struct http_client *c = client_with(30000, NULL);
    struct http_request req = {.method = "GET", .url = loopback_url(lb)};
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    struct err e;
    int rc = http_send(c, &req, &resp, &e);
    size_t kept = resp.headers.n;
    http_response_free(&resp);
    http_client_free(c);
    loopback_stop(lb);
    buf_free(&raw);
    CHECK_INT(rc, -1);
    CHECK_INT(e.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(e.message, "header lines");
    CHECK_MSG(kept <= 200, "kept %zu headers", kept);
}

/* Through the client: the service's limit, and the action named. */
TEST(service_answer_over_its_limit_names_the_call)
{
    struct fixture f;
    fixture_start(&f);
    char *body = filled(AWS_SVC_ECS.max_response_bytes + 10, ' ');
    body[0] = '{';
    body[AWS_SVC_ECS.max_response_bytes + 9] = '}';
    loopback_push(f.lb, 200, "Content-Type: application/x-amz-json-1.1\r\n", body);
    cJSON *out = NULL;
    struct err e;
    int rc = aws_json_call(&f.client, &AWS_SVC_ECS, "AmazonEC2ContainerServiceV20141113",
                           "DescribeTasks", NULL, &out, &e);
    cJSON_Delete(out);
    size_t requests = loopback_request_count(f.lb);
    fixture_stop(&f);
    free(body);
    CHECK_INT(rc, -1);
    CHECK_INT(e.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(e.message, "DescribeTasks: the answer from 127.0.0.1:");
    CHECK_CONTAINS(e.message, "is longer than 8388608 bytes");
    CHECK_INT(requests, 1); /* not retried: the same request gets the same answer */
}

/* ---- parsed trees ------------------------------------------------------------- */

static char *many(const char *head, const char *item, size_t n, const char *sep, const char *tail)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, head);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(&b, sep);
        buf_puts(&b, item);
    }
    buf_puts(&b, tail);
    return buf_steal(&b);
}

TEST(json_of_many_tiny_values_is_refused_within_its_budget)
{
    /* 2 MB of "0," would take over 160 MB as cJSON items. */
    char *doc = many("[", "0", 1000000, ",", "]");
    size_t len = strlen(doc);
    int too_big = 0;
    cJSON *j = json_parse_limited(doc, len, JSON_TREE_BYTES_PER_BODY_BYTE * len, NULL, 0, &too_big);
    CHECK(j == NULL);
    CHECK_INT(too_big, 1);
    /* The same document with room enough parses: the limit, not the text,
     * refused it. */
    j = json_parse_limited(doc, len, 512u * 1024 * 1024, NULL, 0, &too_big);
    CHECK(j != NULL);
    CHECK_INT(too_big, 0);
    CHECK_INT(cJSON_GetArraySize(j), 1000000);
    cJSON_Delete(j);
    free(doc);
}

TEST(json_of_an_ordinary_answer_fits_its_budget)
{
    char *doc = many("{\"tasks\":[",
                     "{\"taskArn\":\"arn:aws:ecs:eu-west-1:123456789012:task/c/"
                     "0123456789abcdef0123456789abcdef\",\"lastStatus\":"
                     "\"RUNNING\",\"desiredStatus\":\"RUNNING\",\"containers\":"
                     "[{\"name\":\"web\",\"lastStatus\":\"RUNNING\"}]}",
                     100, ",", "],\"failures\":[]}");
    size_t len = strlen(doc);
    int too_big = 1;
    cJSON *j = json_parse_limited(doc, len, JSON_TREE_BYTES_PER_BODY_BYTE * len, NULL, 0, &too_big);
    CHECK_MSG(j != NULL, "an ordinary answer of %zu bytes did not fit", len);
    CHECK_INT(too_big, 0);
    cJSON_Delete(j);
    free(doc);
    /* Outside json_parse_limited cJSON allocates without a budget. */
    cJSON *big = cJSON_CreateArray();
    for (int i = 0; i < 100000; i++)
        cJSON_AddItemToArray(big, cJSON_CreateNumber(i));
    CHECK_INT(cJSON_GetArraySize(big), 100000);
    cJSON_Delete(big);
}

TEST(xml_of_many_tiny_elements_is_refused_within_its_budget)
{
    char *doc = many("<R>", "<a/>", 500000, "", "</R>");
    size_t len = strlen(doc);
    struct xml_node *root = NULL;
    struct err e;
    int rc = xml_parse_limited(doc, len, XML_TREE_BYTES_PER_BODY_BYTE * len, &root, &e);
    CHECK_INT(rc, -1);
    CHECK(root == NULL);
    CHECK_INT(e.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(e.message, "would take too much memory once parsed");
    rc = xml_parse_limited(doc, len, 512u * 1024 * 1024, &root, &e);
    CHECK_MSG(rc == 0, "%s", e.message);
    xml_free(root);
    free(doc);
}

TEST(xml_of_an_ordinary_answer_fits_its_budget)
{
    char *doc = many("<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
                     "<AutoScalingGroups><member><Instances>",
                     "<member><InstanceId>i-0123456789abcdef0</InstanceId><AvailabilityZone>"
                     "eu-west-1a</AvailabilityZone><LifecycleState>InService</LifecycleState>"
                     "<HealthStatus>Healthy</HealthStatus><LaunchTemplate><LaunchTemplateId>"
                     "lt-0123456789abcdef0</LaunchTemplateId><Version>3</Version>"
                     "</LaunchTemplate><ProtectedFromScaleIn>false</ProtectedFromScaleIn>"
                     "<InstanceType>m5.large</InstanceType></member>",
                     2000, "\n",
                     "</Instances></member></AutoScalingGroups></DescribeAutoScalingGroupsResult>"
                     "</DescribeAutoScalingGroupsResponse>");
    size_t len = strlen(doc);
    struct xml_node *root = NULL;
    struct err e;
    int rc = xml_parse_limited(doc, len, XML_TREE_BYTES_PER_BODY_BYTE * len, &root, &e);
    CHECK_MSG(rc == 0, "an ordinary answer of %zu bytes: %s", len, e.message);
    xml_free(root);
    free(doc);
}

/* ---- stop requests ------------------------------------------------------------- */

static volatile sig_atomic_t stop_flag;

static void on_term(int sig)
{
    (void)sig;
    stop_flag = 1;
}

struct signaller {
    struct loopback *lb;
    pthread_t main_thread;
};

/* Sends SIGTERM to the test's main thread once the server stalls. */
static void *signal_when_stalled(void *arg)
{
    struct signaller *s = arg;
    while (loopback_stalled_count(s->lb) == 0) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_kill(s->main_thread, SIGTERM);
    return NULL;
}

TEST(stop_request_ends_a_stalled_answer)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old);
    stop_flag = 0;
    struct loopback *lb = loopback_start();
    char *body = filled(100000, 'b');
    struct loopback_spec spec = {.action = LOOPBACK_STALL_MID_BODY, .body = body};
    loopback_push_spec(lb, &spec);
    /* Without the stop this would wait out the 10-minute timeout. */
    struct http_client *c = client_with(600000, &stop_flag);
    struct signaller s = {lb, pthread_self()};
    pthread_t t;
    pthread_create(&t, NULL, signal_when_stalled, &s);
    struct http_request req = {.method = "GET", .url = loopback_url(lb)};
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    struct err e;
    int rc = http_send(c, &req, &resp, &e);
    int still_stalled = loopback_stalled_count(lb);
    pthread_join(t, NULL);
    http_response_free(&resp);
    http_client_free(c);
    loopback_stop(lb);
    free(body);
    sigaction(SIGTERM, &old, NULL);
    CHECK_INT(rc, -1);
    CHECK_MSG(e.kind == ERR_INTERRUPTED, "%s: %s", err_kind_name(e.kind), e.message);
    CHECK_CONTAINS(e.message, "the request to 127.0.0.1:");
    CHECK_CONTAINS(e.message, "was stopped on request");
    CHECK_INT(still_stalled, 1);
}

TEST(request_made_after_a_stop_request_still_runs_but_briefly)
{
    volatile sig_atomic_t flag = 1; /* stopping already: the run's last writes */
    struct loopback *lb = loopback_start();
    loopback_push(lb, 200, NULL, "released");
    char *body = filled(1000, 'b');
    struct loopback_spec spec = {.action = LOOPBACK_STALL_MID_BODY, .body = body};
    loopback_push_spec(lb, &spec);
    struct http_client *c = client_with(600000, &flag);
    struct http_request req = {.method = "GET", .url = loopback_url(lb)};
    struct http_response r1, r2;
    memset(&r1, 0, sizeof(r1));
    memset(&r2, 0, sizeof(r2));
    struct err e1, e2;
    int rc1 = http_send(c, &req, &r1, &e1);
    char body1[32];
    snprintf(body1, sizeof(body1), "%s", buf_cstr(&r1.body));
    int rc2 = http_send(c, &req, &r2, &e2);
    http_response_free(&r1);
    http_response_free(&r2);
    http_client_free(c);
    loopback_stop(lb);
    free(body);
    CHECK_MSG(rc1 == 0, "%s", e1.message);
    CHECK_STR(body1, "released");
    /* A stalled answer ends at HTTP_STOPPING_TIMEOUT_MS, not the 10
     * minutes the client was given. */
    CHECK_INT(rc2, -1);
    CHECK_MSG(e2.kind == ERR_TIMEOUT, "%s: %s", err_kind_name(e2.kind), e2.message);
    CHECK_CONTAINS(e2.message, "within 5000 ms");
}
