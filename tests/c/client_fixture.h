/* Shared set-up for the test_client_*.c programs: a loopback server, an
 * HTTP client, static credentials and an aws_client pointed at the server,
 * with a fixed signing clock and recorded (never real) backoff sleeps.
 * Header-only: each test program includes it once. */
#ifndef ECSR_TEST_CLIENT_FIXTURE_H
#define ECSR_TEST_CLIENT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/sigv4.h"
#include "loopback.h"
#include "test.h"
#include "util/mem.h"

#define FIX_AKID "AKIDFIXTURE0000001"
#define FIX_SECRET "fixtureSecretKey/abcdefghijklmnopqrstuv"
#define FIX_TOKEN "fixtureSessionToken+0123456789/abcdefghijklmnop=="
#define FIX_TIME 1700000000LL /* 2023-11-14T22:13:20Z */

struct fixture {
    struct loopback *lb;
    struct http_client *http;
    struct cred_provider *creds;
    struct aws_client client;
    long sleeps[128];
    int n_sleeps;
    double random_value; /* what random01 returns */
    volatile sig_atomic_t interrupted;
    int interrupt_after_sleeps; /* 0: never */
};

static __attribute__((unused)) void fixture_sleep(long ms, void *ud)
{
    struct fixture *f = ud;
    if (f->n_sleeps < (int)(sizeof(f->sleeps) / sizeof(f->sleeps[0])))
        f->sleeps[f->n_sleeps] = ms;
    f->n_sleeps++;
    if (f->interrupt_after_sleeps && f->n_sleeps >= f->interrupt_after_sleeps)
        f->interrupted = 1;
}

static __attribute__((unused)) double fixture_random(void *ud)
{
    return ((struct fixture *)ud)->random_value;
}

/* request_timeout_ms 0: 10 s. token may be NULL. */
static __attribute__((unused)) void fixture_start_opts(struct fixture *f, long request_timeout_ms,
                                                       const char *token)
{
    memset(f, 0, sizeof(*f));
    unsetenv("AWS_MAX_ATTEMPTS");
    f->lb = loopback_start();
    struct http_options o = {.connect_timeout_ms = 5000,
                             .request_timeout_ms = request_timeout_ms ? request_timeout_ms : 10000};
    struct err e;
    f->http = http_client_new(&o, &e);
    if (!f->http) {
        fprintf(stderr, "fixture: %s\n", e.message);
        abort();
    }
    f->creds = cred_static_new(FIX_AKID, FIX_SECRET, token);
    aws_client_init(&f->client, f->http, f->creds, "us-east-1", loopback_url(f->lb));
    f->client.fixed_time = FIX_TIME;
    f->client.retry.sleep_ms = fixture_sleep;
    f->client.retry.random01 = fixture_random;
    f->client.retry.ud = f;
    f->client.interrupted = &f->interrupted;
    f->random_value = 0.5;
}

static __attribute__((unused)) void fixture_start(struct fixture *f)
{
    fixture_start_opts(f, 0, NULL);
}

static __attribute__((unused)) void fixture_stop(struct fixture *f)
{
    aws_client_cleanup(&f->client);
    cred_provider_free(f->creds);
    http_client_free(f->http);
    loopback_stop(f->lb);
}

/* Re-computes the SigV4 signature of a recorded request with the fixture's
 * credentials and checks the Authorization header the client sent. The
 * signed header list must cover host, x-amz-date, content-type and, when
 * present, x-amz-target and x-amz-security-token. Returns NULL or why not. */
static __attribute__((unused)) const char *
fixture_verify_signature(const struct loopback_request *r, const char *service, const char *token)
{
    static char why[1024];
    const char *auth = loopback_request_header(r, "Authorization");
    const char *date = loopback_request_header(r, "X-Amz-Date");
    if (!auth || !date)
        return "no Authorization or X-Amz-Date header";
    const char *sent_token = loopback_request_header(r, "X-Amz-Security-Token");
    if (!token != !sent_token || (token && strcmp(token, sent_token) != 0))
        return "X-Amz-Security-Token differs from the credentials' token";
    struct http_headers h = HTTP_HEADERS_INIT;
    const char *names[] = {"Host", "Content-Type", "X-Amz-Target"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = loopback_request_header(r, names[i]);
        if (v)
            http_headers_add(&h, names[i], v);
    }
    struct sigv4_request sreq = {.method = r->method,
                                 .path = r->path,
                                 .query = r->query,
                                 .headers = &h,
                                 .payload = r->body,
                                 .payload_len = r->body_len};
    struct sigv4_params p = {.access_key_id = FIX_AKID,
                             .secret_access_key = FIX_SECRET,
                             .session_token = token,
                             .region = "us-east-1",
                             .service = service,
                             .amz_date = date,
                             .normalize_path = 1};
    struct sigv4_result res;
    struct err e;
    const char *result = NULL;
    if (sigv4_sign(&sreq, &p, &res, &e) != 0) {
        snprintf(why, sizeof(why), "cannot sign: %.900s", e.message);
        result = why;
    } else {
        const char *want = http_headers_get(&res.add_headers, "Authorization");
        if (strcmp(want, auth) != 0) {
            snprintf(why, sizeof(why), "Authorization\n  sent %s\n  want %s", auth, want);
            result = why;
        }
        sigv4_result_free(&res);
    }
    http_headers_free(&h);
    return result;
}

/* Query answers. */
#define XML_HDR "Content-Type: text/xml\r\n"
#define JSON_HDR "Content-Type: application/x-amz-json-1.1\r\n"

static __attribute__((unused)) const char *query_error_body(const char *code, const char *message)
{
    static char body[1024];
    snprintf(body, sizeof(body),
             "<ErrorResponse xmlns=\"https://autoscaling.amazonaws.com/doc/2011-01-01/\">"
             "<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
             "<RequestId>req-%s</RequestId></ErrorResponse>",
             code, message, code);
    return body;
}

#endif
