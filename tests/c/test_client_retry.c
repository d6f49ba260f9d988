/* Standard-mode retries against the loopback server. Backoff sleeps are
 * recorded by the fixture, never slept. */
#include <math.h>

#include "aws/fanout.h"
#include "client_fixture.h"

#define ECS_PREFIX "AmazonEC2ContainerServiceV20141113"
#define THROTTLE_JSON "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}"

static int query(struct fixture *f, const char *action, struct err *e)
{
    struct xml_node *root = NULL;
    int rc =
        aws_query_call(&f->client, &AWS_SVC_AUTOSCALING, action, "2011-01-01", NULL, 0, &root, e);
    xml_free(root);
    return rc;
}

static int json(struct fixture *f, const char *action, struct err *e)
{
    cJSON *resp = NULL;
    int rc = aws_json_call(&f->client, &AWS_SVC_ECS, ECS_PREFIX, action, NULL, &resp, e);
    cJSON_Delete(resp);
    return rc;
}

TEST(throttling_is_retried_max_attempts_times_then_surfaces)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 3;
    loopback_push_n(f.lb, 3, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    loopback_push(f.lb, 200, XML_HDR, "<SetDesiredCapacityResponse/>"); /* never reached */
    struct err e;
    CHECK_INT(query(&f, "SetDesiredCapacity", &e), -1);
    CHECK_INT(e.kind, ERR_SERVICE);
    CHECK_STR(e.code, "Throttling");
    CHECK_STR(e.request_id, "req-Throttling");
    CHECK_STR(e.message, "SetDesiredCapacity: Rate exceeded (gave up after 3 attempts)");
    CHECK_INT(loopback_request_count(f.lb), 3);
    CHECK_INT(f.n_sleeps, 2);
    CHECK_INT(f.client.stats.calls, 1);
    CHECK_INT(f.client.stats.attempts, 3);
    CHECK_INT(f.client.stats.retries, 2);
    CHECK_INT(f.client.stats.throttled, 3);
    CHECK(aws_error_is_throttling(&e));
    /* Every attempt is signed afresh and correctly. */
    for (size_t i = 0; i < 3; i++) {
        const char *why =
            fixture_verify_signature(loopback_request_at(f.lb, i), "autoscaling", NULL);
        CHECK_MSG(why == NULL, "attempt %zu: %s", i + 1, why);
    }
    CHECK_INT(loopback_connection_count(f.lb), 1);
    fixture_stop(&f);
}

TEST(json_throttling_then_success)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 5;
    loopback_push_n(f.lb, 2, 400, JSON_HDR, THROTTLE_JSON);
    loopback_push(f.lb, 200, JSON_HDR, "{\"tasks\":[]}");
    struct err e;
    CHECK_MSG(json(&f, "DescribeTasks", &e) == 0, "%s", e.message);
    CHECK_INT(loopback_request_count(f.lb), 3);
    CHECK_INT(f.client.stats.attempts, 3);
    CHECK_INT(f.client.stats.retries, 2);
    CHECK_INT(f.client.stats.throttled, 2);
    fixture_stop(&f);
}

TEST(json_throttling_exhausts_max_attempts)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 5;
    loopback_push_n(f.lb, 6, 400, JSON_HDR, THROTTLE_JSON);
    struct err e;
    CHECK_INT(json(&f, "DescribeContainerInstances", &e), -1);
    CHECK_STR(e.code, "ThrottlingException");
    CHECK_INT(loopback_request_count(f.lb), 5);
    CHECK_INT(f.n_sleeps, 4);
    fixture_stop(&f);
}

TEST(server_errors_are_retried)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 5;
    loopback_push(f.lb, 500, XML_HDR, query_error_body("InternalFailure", "oops"));
    loopback_push(f.lb, 502, "Content-Type: text/html\r\n", "<html>Bad Gateway</html>");
    loopback_push(f.lb, 503, NULL, "");
    loopback_push(f.lb, 504, XML_HDR, query_error_body("GatewayTimeout", "slow"));
    loopback_push(f.lb, 200, XML_HDR, "<DescribeAutoScalingGroupsResponse/>");
    struct err e;
    CHECK_MSG(query(&f, "DescribeAutoScalingGroups", &e) == 0, "%s", e.message);
    CHECK_INT(loopback_request_count(f.lb), 5);
    CHECK_INT(f.client.stats.retries, 4);
    CHECK_INT(f.client.stats.throttled, 0);
    fixture_stop(&f);
}

TEST(empty_5xx_exhausted_is_a_protocol_error_with_status)
{
    struct fixture f;
    fixture_start(&f);
    loopback_push_n(f.lb, 3, 503, NULL, "");
    struct err e;
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    CHECK_INT(e.kind, ERR_PROTOCOL);
    CHECK_INT(e.http_status, 503);
    CHECK_CONTAINS(e.message, "an empty body");
    CHECK_CONTAINS(e.message, "gave up after 3 attempts");
    CHECK_INT(loopback_request_count(f.lb), 3); /* the default */
    fixture_stop(&f);
}

TEST(transient_codes_are_retried)
{
    struct fixture f;
    fixture_start(&f);
    loopback_push(f.lb, 400, JSON_HDR, "{\"__type\":\"RequestTimeoutException\"}");
    loopback_push(f.lb, 400, JSON_HDR, "{\"__type\":\"PriorRequestNotComplete\"}");
    loopback_push(f.lb, 200, JSON_HDR, "{}");
    struct err e;
    CHECK_MSG(json(&f, "StopTask", &e) == 0, "%s", e.message);
    CHECK_INT(loopback_request_count(f.lb), 3);
    fixture_stop(&f);
}

TEST(connection_failures_are_retried)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 4;
    loopback_push_action(f.lb, LOOPBACK_RESET);
    loopback_push_action(f.lb, LOOPBACK_CLOSE);
    struct loopback_spec half = {.action = LOOPBACK_CLOSE_MID_BODY,
                                 .status = 200,
                                 .headers = JSON_HDR,
                                 .body = "{\"tasks\":[1,2,3,4,5,6]}"};
    loopback_push_spec(f.lb, &half);
    loopback_push(f.lb, 200, JSON_HDR, "{\"tasks\":[]}");
    struct err e;
    CHECK_MSG(json(&f, "DescribeTasks", &e) == 0, "%s", e.message);
    CHECK_INT(loopback_request_count(f.lb), 4);
    CHECK_INT(loopback_connection_count(f.lb), 4);
    fixture_stop(&f);
}

TEST(resets_exhausted_give_a_network_error_naming_the_peer)
{
    struct fixture f;
    fixture_start(&f);
    for (int i = 0; i < 3; i++)
        loopback_push_action(f.lb, LOOPBACK_RESET);
    struct err e;
    CHECK_INT(json(&f, "ListTasks", &e), -1);
    CHECK_INT(e.kind, ERR_NETWORK);
    char where[64];
    snprintf(where, sizeof(where), "127.0.0.1:%d", loopback_port(f.lb));
    CHECK_CONTAINS(e.message, where);
    CHECK_MSG(strncmp(e.message, "ListTasks: ", 11) == 0, "%s", e.message);
    CHECK_CONTAINS(e.message, "gave up after 3 attempts");
    CHECK_INT(loopback_request_count(f.lb), 3);
    fixture_stop(&f);
}

TEST(non_http_garbage_is_retried_like_a_broken_connection)
{
    struct fixture f;
    fixture_start(&f);
    struct loopback_spec raw = {
        .action = LOOPBACK_RAW, .body = "\x00\x01garbage\xff\r\n\r\n", .body_len = 13};
    for (int i = 0; i < 3; i++)
        loopback_push_spec(f.lb, &raw);
    struct err e;
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    CHECK_INT(e.kind, ERR_NETWORK);
    CHECK_CONTAINS(e.message, "did not answer with HTTP");
    CHECK_INT(loopback_request_count(f.lb), 3);
    fixture_stop(&f);
}

TEST(refused_connections_are_retried)
{
    struct fixture f;
    fixture_start(&f);
    /* Point the client at a server that is gone. */
    char url[64];
    snprintf(url, sizeof(url), "%s", loopback_url(f.lb));
    loopback_stop(f.lb);
    f.lb = loopback_start();
    free(f.client.endpoint_url);
    f.client.endpoint_url = xstrdup(url);
    struct err e;
    int rc = query(&f, "DescribeAutoScalingGroups", &e);
    CHECK_INT(rc, -1);
    CHECK_INT(e.kind, ERR_NETWORK);
    CHECK_CONTAINS(e.message, "refused");
    CHECK_INT(f.client.stats.attempts, 3);
    CHECK_INT(f.n_sleeps, 2);
    fixture_stop(&f);
}

TEST(timeouts_are_retried)
{
    struct fixture f;
    fixture_start_opts(&f, 300, NULL);
    f.client.retry.max_attempts = 2;
    struct loopback_spec slow = {
        .status = 200, .headers = JSON_HDR, .body = "{}", .delay_ms = 60000};
    loopback_push_spec(f.lb, &slow);
    loopback_push_spec(f.lb, &slow);
    struct err e;
    CHECK_INT(json(&f, "ListServices", &e), -1);
    CHECK_INT(e.kind, ERR_TIMEOUT);
    CHECK_CONTAINS(e.message, "300 ms");
    CHECK_INT(loopback_request_count(f.lb), 2);
    /* A timeout costs 10 from the retry quota. */
    CHECK_INT(f.client.retry_quota, AWS_RETRY_QUOTA_MAX - 10);
    fixture_stop(&f);
}

TEST(non_retryable_errors_surface_after_one_attempt)
{
    static const struct {
        int status;
        const char *code;
    } cases[] = {
        {403, "AccessDenied"},  {400, "ValidationError"},  {400, "ScalingActivityInProgress"},
        {400, "ResourceInUse"}, {429, "SomethingUnknown"}, {401, "InvalidClientTokenId"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fixture f;
        fixture_start(&f);
        f.client.retry.max_attempts = 5;
        loopback_push_n(f.lb, 5, cases[i].status, XML_HDR "x-amzn-RequestId: hdr-id\r\n",
                        query_error_body(cases[i].code, "It is not allowed."));
        struct err e;
        int rc = query(&f, "TerminateInstanceInAutoScalingGroup", &e);
        int n = (int)loopback_request_count(f.lb);
        int sleeps = f.n_sleeps;
        fixture_stop(&f);
        CHECK_INT(rc, -1);
        CHECK_INT(n, 1);
        CHECK_INT(sleeps, 0);
        CHECK_INT(e.kind, ERR_SERVICE);
        CHECK_STR(e.code, cases[i].code);
        CHECK_STR(e.message, "TerminateInstanceInAutoScalingGroup: It is not allowed.");
        CHECK_STR(e.request_id, "hdr-id");
        CHECK_INT(e.http_status, cases[i].status);
    }
}

TEST(aws_max_attempts_is_honoured_and_validated)
{
    struct fixture f;
    fixture_start(&f);
    setenv("AWS_MAX_ATTEMPTS", "5", 1);
    loopback_push_n(f.lb, 5, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    struct err e;
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    CHECK_INT(loopback_request_count(f.lb), 5);
    CHECK_CONTAINS(e.message, "gave up after 5 attempts");

    /* One attempt: nothing retried, no "gave up" note. */
    setenv("AWS_MAX_ATTEMPTS", "1", 1);
    loopback_push(f.lb, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    CHECK_INT(loopback_request_count(f.lb), 6);
    CHECK_STR(e.message, "DescribeAutoScalingGroups: Rate exceeded");

    /* The client's own setting wins over the variable. */
    f.client.retry.max_attempts = 2;
    loopback_push_n(f.lb, 2, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    CHECK_INT(loopback_request_count(f.lb), 8);
    f.client.retry.max_attempts = 0;

    const char *bad[] = {"abc", "0", "-2", "3x", " 3", "101", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("AWS_MAX_ATTEMPTS", bad[i], 1);
        CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
        CHECK_MSG(e.kind == ERR_USAGE, "'%s': %s", bad[i], e.message);
        CHECK_CONTAINS(e.message, "AWS_MAX_ATTEMPTS");
        CHECK_CONTAINS(e.message, "from 1 to 100");
        int n;
        CHECK_INT(aws_retry_max_attempts(&f.client, &n, &e), -1);
    }
    CHECK_INT(loopback_request_count(f.lb), 8); /* nothing sent with a bad value */
    unsetenv("AWS_MAX_ATTEMPTS");
    int n;
    CHECK_INT(aws_retry_max_attempts(&f.client, &n, &e), 0);
    CHECK_INT(n, 3);
    fixture_stop(&f);
}

TEST(backoff_doubles_from_one_second_and_is_capped)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 9;
    f.random_value = 0.999;
    loopback_push_n(f.lb, 9, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    struct err e;
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    const long want[] = {999, 1998, 3996, 7992, 15984, 20000, 20000, 20000};
    CHECK_INT(f.n_sleeps, 8);
    for (int i = 0; i < 8; i++)
        CHECK_MSG(f.sleeps[i] == want[i], "sleep %d: %ld ms, want %ld", i + 1, f.sleeps[i],
                  want[i]);

    /* Jitter scales the whole range: random 0 means no wait at all. */
    f.n_sleeps = 0;
    f.random_value = 0.0;
    f.client.retry.max_attempts = 3;
    loopback_push_n(f.lb, 3, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    CHECK_INT(f.n_sleeps, 2);
    CHECK_INT(f.sleeps[0], 0);
    CHECK_INT(f.sleeps[1], 0);

    /* max_backoff_s lowers the cap. */
    f.n_sleeps = 0;
    f.random_value = 1.0;
    f.client.retry.max_backoff_s = 3;
    f.client.retry.max_attempts = 5;
    loopback_push_n(f.lb, 5, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    const long capped[] = {1000, 2000, 3000, 3000};
    for (int i = 0; i < 4; i++)
        CHECK_INT(f.sleeps[i], capped[i]);
    fixture_stop(&f);
}

TEST(default_jitter_stays_within_bounds)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.random01 = NULL; /* the client's own PRNG */
    f.client.retry.max_attempts = 10;
    loopback_push_n(f.lb, 10, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    struct err e;
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    CHECK_INT(f.n_sleeps, 9);
    int distinct = 0;
    for (int i = 0; i < 9; i++) {
        double bound = fmin(ldexp(1.0, i), 20.0) * 1000.0;
        CHECK_MSG(f.sleeps[i] >= 0 && f.sleeps[i] <= (long)bound, "sleep %d: %ld ms > %.0f", i + 1,
                  f.sleeps[i], bound);
        if (i && f.sleeps[i] != f.sleeps[i - 1])
            distinct++;
    }
    CHECK_MSG(distinct > 0, "every sleep was the same: no jitter");
    fixture_stop(&f);
}

TEST(interrupt_during_backoff_stops_the_call)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 5;
    f.interrupt_after_sleeps = 1;
    loopback_push_n(f.lb, 5, 400, JSON_HDR, THROTTLE_JSON);
    struct err e;
    CHECK_INT(json(&f, "UpdateContainerInstancesState", &e), -1);
    CHECK_INT(e.kind, ERR_INTERRUPTED);
    CHECK_MSG(strncmp(e.message, "UpdateContainerInstancesState: interrupted", 42) == 0, "%s",
              e.message);
    CHECK_CONTAINS(e.message, "ThrottlingException");
    CHECK_INT(loopback_request_count(f.lb), 1);
    CHECK_INT(f.n_sleeps, 1);
    /* Already interrupted: the next retry wait ends at once, unslept. */
    f.interrupt_after_sleeps = 0;
    CHECK_INT(json(&f, "UpdateContainerInstancesState", &e), -1);
    CHECK_INT(e.kind, ERR_INTERRUPTED);
    CHECK_INT(f.n_sleeps, 1);
    CHECK_INT(loopback_request_count(f.lb), 2);
    fixture_stop(&f);
}

TEST(default_sleep_is_interruptible)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.sleep_ms = NULL; /* real nanosleep, in slices */
    f.interrupted = 1;              /* as if SIGINT had arrived */
    f.random_value = 1.0;
    loopback_push(f.lb, 400, JSON_HDR, THROTTLE_JSON);
    struct err e;
    CHECK_INT(json(&f, "ListTasks", &e), -1);
    CHECK_INT(e.kind, ERR_INTERRUPTED);
    fixture_stop(&f);
}

TEST(retry_quota_limits_retries_and_refills_on_success)
{
    struct fixture f;
    fixture_start(&f);
    f.client.retry.max_attempts = 5;
    f.client.retry_quota = 7; /* one retry (5) fits, a second does not */
    loopback_push_n(f.lb, 2, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    struct err e;
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    CHECK_INT(loopback_request_count(f.lb), 2);
    CHECK_CONTAINS(e.message, "retry quota");
    CHECK_STR(e.code, "Throttling");
    CHECK_INT(f.client.retry_quota, 2);

    /* A success without retries gives back 1; after a retry, what it took. */
    loopback_push(f.lb, 200, XML_HDR, "<DescribeAutoScalingGroupsResponse/>");
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), 0);
    CHECK_INT(f.client.retry_quota, 3);
    f.client.retry_quota = 100;
    loopback_push(f.lb, 500, XML_HDR, query_error_body("InternalFailure", "x"));
    loopback_push(f.lb, 200, XML_HDR, "<DescribeAutoScalingGroupsResponse/>");
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), 0);
    CHECK_INT(f.client.retry_quota, 100);
    /* Never above the maximum. */
    f.client.retry_quota = AWS_RETRY_QUOTA_MAX;
    loopback_push(f.lb, 200, XML_HDR, "<DescribeAutoScalingGroupsResponse/>");
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), 0);
    CHECK_INT(f.client.retry_quota, AWS_RETRY_QUOTA_MAX);
    fixture_stop(&f);
}

TEST(retryable_classification)
{
    struct err e;
    err_set(&e, ERR_NETWORK, "reset");
    CHECK(aws_error_is_retryable(&e));
    err_set(&e, ERR_TIMEOUT, "slow");
    CHECK(aws_error_is_retryable(&e));
    err_set(&e, ERR_TLS, "bad cert");
    CHECK(!aws_error_is_retryable(&e));
    err_set(&e, ERR_CREDENTIALS, "none");
    CHECK(!aws_error_is_retryable(&e));
    err_set(&e, ERR_PROTOCOL, "html");
    e.http_status = 200;
    CHECK(!aws_error_is_retryable(&e));
    e.http_status = 502;
    CHECK(aws_error_is_retryable(&e));
    const char *throttles[] = {"Throttling",
                               "ThrottlingException",
                               "ThrottledException",
                               "RequestThrottledException",
                               "TooManyRequestsException",
                               "RequestLimitExceeded",
                               "RequestThrottled",
                               "SlowDown",
                               "PriorRequestNotComplete",
                               "EC2ThrottledException",
                               "LimitExceededException"};
    for (size_t i = 0; i < sizeof(throttles) / sizeof(throttles[0]); i++) {
        err_service(&e, 400, throttles[i], "x", NULL);
        CHECK_MSG(aws_error_is_throttling(&e) && aws_error_is_retryable(&e), "%s", throttles[i]);
    }
    err_service(&e, 400, "RequestTimeout", "x", NULL);
    CHECK(aws_error_is_retryable(&e) && !aws_error_is_throttling(&e));
    err_service(&e, 400, "throttling", "case matters", NULL);
    CHECK(!aws_error_is_retryable(&e));
    err_service(&e, 500, "InternalFailure", "x", NULL);
    CHECK(aws_error_is_retryable(&e));
    err_service(&e, 501, "NotImplemented", "x", NULL);
    CHECK(!aws_error_is_retryable(&e));
}

/* Fails the jobs whose index is a multiple of 7 (after the first), each
 * with its own message. */
static int fail_sevens(struct aws_client *c, size_t i, void *userdata, struct err *err)
{
    (void)c;
    (void)userdata;
    if (i == 0 || i % 7 != 0)
        return 0;
    return err_set(err, ERR_SERVICE, "job %zu failed", i);
}

/* A fan-out over many jobs reports which failed and the error of the first
 * of them by index, whichever worker ran it and whenever. */
TEST(fanout_reports_the_first_failed_job_by_index)
{
    struct fixture f;
    fixture_start(&f);
    for (int workers = 1; workers <= 8; workers += 7) {
        int ok[50];
        struct err e;
        CHECK_INT(aws_fanout(&f.client, 50, workers, fail_sevens, NULL, ok, &e), -1);
        CHECK_STR(e.message, "job 7 failed");
        for (int i = 0; i < 50; i++)
            CHECK_INT(ok[i], i == 0 || i % 7 != 0);
        CHECK_INT(aws_fanout(&f.client, 6, workers, fail_sevens, NULL, ok, &e), 0);
    }
    fixture_stop(&f);
}
