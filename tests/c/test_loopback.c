/* The loopback test server itself, driven with plain libcurl so that its
 * behaviour is checked independently of aws/http.c. */
#include <curl/curl.h>
#include <stdlib.h>

#include "loopback.h"
#include "test.h"
#include "util/buf.h"

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    buf_append(ud, p, size * n);
    return size * n;
}

/* One request with `h` (a reused handle keeps its connection). */
static CURLcode fetch(CURL *h, const char *url, const char *post, struct buf *body, long *status,
                      long timeout_ms)
{
    buf_reset(body);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 10000L);
    if (post) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    CURLcode rc = curl_easy_perform(h);
    *status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return rc;
}

TEST(scripted_responses_and_recorded_requests)
{
    struct loopback *lb = loopback_start();
    CHECK(loopback_port(lb) > 0);
    loopback_push(lb, 200, "Content-Type: text/plain\r\nX-Test: one\r\n", "first");
    loopback_push(lb, 404, NULL, "second");
    CURL *h = curl_easy_init();
    struct buf body = BUF_INIT;
    long status;
    char url[128];
    snprintf(url, sizeof(url), "%s/a/b?x=1&y=2", loopback_url(lb));
    CHECK_INT(fetch(h, url, "k=v&w=z", &body, &status, 0), CURLE_OK);
    CHECK_INT(status, 200);
    CHECK_STR(buf_cstr(&body), "first");
    snprintf(url, sizeof(url), "%s/plain", loopback_url(lb));
    CHECK_INT(fetch(h, url, NULL, &body, &status, 0), CURLE_OK);
    CHECK_INT(status, 404);
    CHECK_STR(buf_cstr(&body), "second");
    /* Script exhausted: a 500 saying so, counted as unexpected. */
    CHECK_INT(fetch(h, url, NULL, &body, &status, 0), CURLE_OK);
    CHECK_INT(status, 500);
    CHECK_CONTAINS(buf_cstr(&body), "no scripted response left");

    CHECK_INT(loopback_request_count(lb), 3);
    const struct loopback_request *r = loopback_request_at(lb, 0);
    CHECK_STR(r->method, "POST");
    CHECK_STR(r->path, "/a/b");
    CHECK_STR(r->query, "x=1&y=2");
    CHECK_STR(r->body, "k=v&w=z");
    CHECK_INT(r->body_len, 7);
    CHECK_STR(loopback_request_header(r, "content-type"), "application/x-www-form-urlencoded");
    r = loopback_request_at(lb, 1);
    CHECK_STR(r->method, "GET");
    CHECK(r->query == NULL);
    CHECK_INT(r->body_len, 0);
    CHECK_INT(loopback_unexpected_count(lb), 1);
    CHECK_INT(loopback_script_left(lb), 0);
    /* Keep-alive: all three on one connection. */
    CHECK_INT(loopback_connection_count(lb), 1);
    CHECK_INT(loopback_request_at(lb, 2)->connection, 1);
    buf_free(&body);
    curl_easy_cleanup(h);
    loopback_stop(lb);
}

TEST(host_header_is_recorded_with_port)
{
    struct loopback *lb = loopback_start();
    loopback_push(lb, 200, NULL, "");
    CURL *h = curl_easy_init();
    struct buf body = BUF_INIT;
    long status;
    CHECK_INT(fetch(h, loopback_url(lb), NULL, &body, &status, 0), CURLE_OK);
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%d", loopback_port(lb));
    CHECK_STR(loopback_request_header(loopback_request_at(lb, 0), "Host"), want);
    buf_free(&body);
    curl_easy_cleanup(h);
    loopback_stop(lb);
}

TEST(close_flag_forces_a_new_connection)
{
    struct loopback *lb = loopback_start();
    struct loopback_spec closing = {.status = 200, .body = "bye", .close = 1};
    loopback_push_spec(lb, &closing);
    loopback_push(lb, 200, NULL, "again");
    CURL *h = curl_easy_init();
    struct buf body = BUF_INIT;
    long status;
    CHECK_INT(fetch(h, loopback_url(lb), NULL, &body, &status, 0), CURLE_OK);
    CHECK_INT(fetch(h, loopback_url(lb), NULL, &body, &status, 0), CURLE_OK);
    CHECK_STR(buf_cstr(&body), "again");
    CHECK_INT(loopback_connection_count(lb), 2);
    CHECK_INT(loopback_request_at(lb, 1)->connection, 2);
    buf_free(&body);
    curl_easy_cleanup(h);
    loopback_stop(lb);
}

TEST(failure_actions)
{
    struct loopback *lb = loopback_start();
    loopback_push_action(lb, LOOPBACK_RESET);
    loopback_push_action(lb, LOOPBACK_CLOSE);
    struct loopback_spec half = {.status = 200, .body = "0123456789"};
    half.action = LOOPBACK_CLOSE_MID_BODY;
    loopback_push_spec(lb, &half);
    struct loopback_spec raw = {.action = LOOPBACK_RAW, .body = "\x01\x02garbage\xff\r\n\r\n"};
    loopback_push_spec(lb, &raw);
    struct loopback_spec slow = {.status = 200, .body = "late", .delay_ms = 3000};
    loopback_push_spec(lb, &slow);
    loopback_push(lb, 200, NULL, "fine");

    CURL *h = curl_easy_init();
    struct buf body = BUF_INIT;
    long status;
    CURLcode rc = fetch(h, loopback_url(lb), NULL, &body, &status, 0);
    CHECK_MSG(rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING, "reset gave %s",
              curl_easy_strerror(rc));
    CHECK_INT(fetch(h, loopback_url(lb), NULL, &body, &status, 0), CURLE_GOT_NOTHING);
    CHECK_INT(fetch(h, loopback_url(lb), NULL, &body, &status, 0), CURLE_PARTIAL_FILE);
    rc = fetch(h, loopback_url(lb), NULL, &body, &status, 0);
    CHECK_MSG(rc != CURLE_OK, "garbage accepted");
    CHECK_INT(fetch(h, loopback_url(lb), NULL, &body, &status, 200), CURLE_OPERATION_TIMEDOUT);
    CHECK_INT(fetch(h, loopback_url(lb), NULL, &body, &status, 0), CURLE_OK);
    CHECK_STR(buf_cstr(&body), "fine");
    CHECK_INT(loopback_request_count(lb), 6);
    buf_free(&body);
    curl_easy_cleanup(h);
    loopback_stop(lb); /* interrupts nothing left; must not hang */
}

static void echo_handler(const struct loopback_request *req, struct loopback_reply *reply, void *ud)
{
    int *calls = ud;
    (*calls)++;
    if (strcmp(req->method, "PUT") == 0) {
        buf_puts(&reply->body, "token-1");
        return;
    }
    const char *tok = loopback_request_header(req, "X-Token");
    if (!tok || strcmp(tok, "token-1") != 0) {
        reply->status = 401;
        return;
    }
    buf_puts(&reply->headers, "Content-Type: application/json\r\n");
    buf_printf(&reply->body, "{\"path\":\"%s\"}", req->path);
}

TEST(handler_computes_responses)
{
    struct loopback *lb = loopback_start();
    int calls = 0;
    loopback_set_handler(lb, echo_handler, &calls);
    CURL *h = curl_easy_init();
    struct buf body = BUF_INIT;
    long status;
    char url[128];
    snprintf(url, sizeof(url), "%s/latest/api/token", loopback_url(lb));
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    CHECK_INT(fetch(h, url, "", &body, &status, 0), CURLE_OK);
    CHECK_STR(buf_cstr(&body), "token-1");
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    snprintf(url, sizeof(url), "%s/meta", loopback_url(lb));
    CHECK_INT(fetch(h, url, NULL, &body, &status, 0), CURLE_OK);
    CHECK_INT(status, 401);
    struct curl_slist *hdrs = curl_slist_append(NULL, "X-Token: token-1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    CHECK_INT(fetch(h, url, NULL, &body, &status, 0), CURLE_OK);
    CHECK_INT(status, 200);
    CHECK_STR(buf_cstr(&body), "{\"path\":\"/meta\"}");
    CHECK_INT(calls, 3);
    CHECK_INT(loopback_unexpected_count(lb), 0);
    curl_slist_free_all(hdrs);
    buf_free(&body);
    curl_easy_cleanup(h);
    loopback_stop(lb);
}

TEST(stop_interrupts_a_pending_delay)
{
    /* A client that gives up leaves the server thread in its delay; stop
     * must end it at once rather than wait out the delay. */
    struct loopback *lb = loopback_start();
    struct loopback_spec slow = {.status = 200, .delay_ms = 600000};
    loopback_push_spec(lb, &slow);
    CURL *h = curl_easy_init();
    struct buf body = BUF_INIT;
    long status;
    CHECK_INT(fetch(h, loopback_url(lb), NULL, &body, &status, 100), CURLE_OPERATION_TIMEDOUT);
    buf_free(&body);
    curl_easy_cleanup(h);
    loopback_stop(lb);
}

TEST(large_and_chunked_bodies)
{
    struct loopback *lb = loopback_start();
    loopback_push(lb, 200, NULL, "ok");
    loopback_push(lb, 200, NULL, "ok");
    CURL *h = curl_easy_init();
    struct buf body = BUF_INIT, big = BUF_INIT;
    for (int i = 0; i < 200000; i++)
        buf_putc(&big, (char)('a' + i % 26));
    long status;
    /* Large enough that libcurl sends Expect: 100-continue. */
    CHECK_INT(fetch(h, loopback_url(lb), big.data, &body, &status, 0), CURLE_OK);
    CHECK_INT(loopback_request_at(lb, 0)->body_len, big.len);
    CHECK(memcmp(loopback_request_at(lb, 0)->body, big.data, big.len) == 0);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    CHECK_INT(fetch(h, loopback_url(lb), "chunky body", &body, &status, 0), CURLE_OK);
    CHECK_STR(loopback_request_at(lb, 1)->body, "chunky body");
    curl_slist_free_all(hdrs);
    buf_free(&big);
    buf_free(&body);
    curl_easy_cleanup(h);
    loopback_stop(lb);
}
