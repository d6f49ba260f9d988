/* The AWS client: one call = endpoint, signing, sending, error parsing and
 * the standard retry loop. The wire formats are in query.c and
 * json_proto.c, errors in aws_error.c, retry policy in retry.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws/adaptive.h"
#include "aws/client_impl.h"
#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"

void aws_client_init(struct aws_client *c, struct http_client *http, struct cred_provider *creds,
                     const char *region, const char *endpoint_url)
{
    memset(c, 0, sizeof(*c));
    c->http = http;
    c->creds = creds;
    c->region = region && *region ? xstrdup(region) : NULL;
    c->endpoint_url = endpoint_url && *endpoint_url ? xstrdup(endpoint_url) : NULL;
    c->retry_quota = AWS_RETRY_QUOTA_MAX;
    /* Before any fan-out thread parses JSON. */
    json_limit_init();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->rng_state = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
                   ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
}

void aws_client_cleanup(struct aws_client *c)
{
    if (!c)
        return;
    free(c->region);
    free(c->endpoint_url);
    c->region = c->endpoint_url = NULL;
}

/* ---- logging ------------------------------------------------------------- */

/* Control bytes shown as '.', so a binary answer cannot garble a terminal. */
static void make_printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
            *s = '.';
}

static void trace_body(const char *what, const struct aws_call *call, enum aws_wire fmt,
                       int is_request, const char *body, size_t len)
{
    if (!log_enabled(LOG_TRACE))
        return;
    char *safe;
    if (fmt == AWS_WIRE_JSON)
        safe = aws_redact_json(body, len);
    else if (is_request)
        safe = aws_redact_form(body, len);
    else
        safe = aws_redact_xml(body, len, NULL);
    make_printable(safe);
    log_trace("%s %s: %s: %s", call->svc->name, call->action, what, safe);
    free(safe);
}

static void trace_headers(const char *what, const struct aws_call *call,
                          const struct http_headers *h)
{
    if (!log_enabled(LOG_TRACE))
        return;
    struct buf line = BUF_INIT;
    for (size_t i = 0; i < h->n; i++) {
        /* The signature and the session token are never printed. */
        int hide = strcasecmp(h->v[i].name, "Authorization") == 0 ||
                   strcasecmp(h->v[i].name, "X-Amz-Security-Token") == 0;
        buf_printf(&line, "%s%s: %s", i ? "; " : "", h->v[i].name,
                   hide ? "<redacted>" : h->v[i].value);
    }
    char *safe = buf_steal(&line);
    make_printable(safe);
    log_trace("%s %s: %s: %s", call->svc->name, call->action, what, safe);
    free(safe);
}

/* ---- one attempt ------------------------------------------------------ */

/* Builds the headers of one attempt, signed with freshly fetched
 * credentials (a cached provider refreshes them when they near expiry). */
static int build_headers(struct aws_client *c, const struct aws_call *call,
                         const struct http_url *u, struct http_headers *h, struct err *err)
{
    http_headers_add(h, "Host", u->host_header);
    http_headers_add(h, "Content-Type", call->content_type);
    if (call->target)
        http_headers_add(h, "X-Amz-Target", call->target);
    if (call->unsigned_call || !c->creds)
        return 0;
    if (!c->region || !*c->region)
        return err_set(err, ERR_USAGE,
                       "no AWS region to sign the request with: set --aws-region, AWS_REGION or "
                       "AWS_DEFAULT_REGION");
    struct aws_credentials creds;
    if (cred_provider_get(c->creds, &creds, err) != 0)
        return -1;
    char date[17];
    sigv4_format_date(c->fixed_time ? c->fixed_time : (long long)time(NULL), date);
    struct sigv4_request sreq = {.method = "POST",
                                 .path = u->path,
                                 .query = u->query,
                                 .headers = h,
                                 .payload = call->body,
                                 .payload_len = call->body_len};
    struct sigv4_params params = {.access_key_id = creds.access_key_id,
                                  .secret_access_key = creds.secret_access_key,
                                  .session_token = creds.session_token,
                                  .region = c->region,
                                  .service = call->svc->signing_name,
                                  .amz_date = date,
                                  .normalize_path = 1};
    struct sigv4_result sig;
    int rc = sigv4_sign(&sreq, &params, &sig, err);
    aws_credentials_free(&creds);
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < sig.add_headers.n; i++)
        http_headers_add(h, sig.add_headers.v[i].name, sig.add_headers.v[i].value);
    sigv4_result_free(&sig);
    return 0;
}

static void wipe_headers(struct http_headers *h)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->v[i].name, "X-Amz-Security-Token") == 0)
            memset(h->v[i].value, 0, strlen(h->v[i].value));
    http_headers_free(h);
}

/* Appends text to an error's message, within its fixed size. */
static void err_append(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void err_append(struct err *e, const char *fmt, ...)
{
    struct buf full = BUF_INIT;
    buf_puts(&full, e->message);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&full, fmt, ap);
    va_end(ap);
    log_scrub_copy(e->message, sizeof(e->message), buf_cstr(&full));
    buf_free(&full);
}

/* The final error of a call: the action first, the AWS message kept. */
static int finish_error(struct err *err, const struct err *last, const struct aws_call *call)
{
    *err = *last;
    if (err->kind == ERR_SERVICE && !err->message[0])
        snprintf(err->message, sizeof(err->message), "(no message)");
    /* The permission is named from the call itself: AWS's message does not
     * always say it (EC2 may send only an encoded authorization message). */
    if (aws_error_is_access_denied(err))
        snprintf(err->permission, sizeof(err->permission), "%s:%s",
                 call->svc->iam_prefix ? call->svc->iam_prefix : call->svc->signing_name,
                 call->action);
    return err_prefix(err, "%s: ", call->action);
}

enum aws_answer aws_answer_classify(const struct aws_call *call, const char *url,
                                    const struct http_response *resp, struct err *err)
{
    if (resp->status >= 200 && resp->status < 300)
        return call->parse_ok(call->parse_ud, resp, url, err) == 0 ? AWS_ANSWER_OK
                                                                   : AWS_ANSWER_UNREADABLE;
    aws_error_from_response(call, url, resp, err);
    return AWS_ANSWER_ERROR;
}

/* Every answer, an error too, says what time AWS has. */
static void note_date(struct aws_client *c, const struct http_response *resp, double sent_at)
{
    long long date;
    if (http_date_parse(http_headers_get(&resp->headers, "Date"), &date) != 0)
        return;
    c->clock.known = 1;
    c->clock.date = date;
    c->clock.sent_at = sent_at;
    c->clock.answer_at = clock_elapsed_s();
}

int aws_client_aws_time(const struct aws_client *c, double elapsed, double *earliest,
                        double *latest)
{
    if (!c->clock.known)
        return -1;
    /* The server wrote its Date at some moment between sending and the
     * answer, at a time of day in [date, date + 1). */
    *earliest = (double)c->clock.date + (elapsed - c->clock.answer_at);
    *latest = (double)c->clock.date + 1.0 + (elapsed - c->clock.sent_at);
    return 0;
}

/* Adaptive mode: waits for the service's client-side token (after a
 * throttle, its rate limit). */
static int wait_for_token(struct aws_client *c, const struct aws_call *call, struct err *err)
{
    double wait = aws_adaptive_acquire(c->adaptive, call->svc->signing_name, clock_elapsed_s());
    if (wait <= 0.0)
        return 0;
    log_debug("%s %s: waiting %.3f s for the client-side rate limit (adaptive retry mode)",
              call->svc->name, call->action, wait);
    struct err slept;
    if (aws_retry_sleep(c, wait, &slept) == 0)
        return 0;
    return err_set(err, ERR_INTERRUPTED,
                   "%s: interrupted while waiting for the client-side rate limit", call->action);
}

int aws_call_perform(struct aws_client *c, const struct aws_call *call, struct err *err)
{
    char *url;
    const char *source;
    if (aws_endpoint_resolve(c, call->svc, &url, &source, err) != 0)
        return err_prefix(err, "%s: ", call->action);
    struct http_url u;
    if (http_url_parse(url, &u, err) != 0) {
        err_prefix(err, "%s: the endpoint from %s: ", call->action, source);
        free(url);
        return -1;
    }
    if (aws_endpoint_transport_check(c, call->svc, call->action, url, source, call->secret_body,
                                     err) != 0) {
        if (!call->secret_body)
            err_prefix(err, "%s: ", call->action);
        http_url_free(&u);
        free(url);
        return -1;
    }
    int max_attempts;
    if (aws_retry_max_attempts(c, &max_attempts, err) != 0) {
        http_url_free(&u);
        free(url);
        return err_prefix(err, "%s: ", call->action);
    }
    c->stats.calls++;
    int quota_taken = 0; /* what the last retry took from the quota */
    int rc = -1;
    struct err last;
    err_clear(&last);
    for (int attempt = 1;; attempt++) {
        /* Before signing: the signature's time is the sending time. */
        if (c->adaptive && wait_for_token(c, call, err) != 0)
            break;
        struct http_headers headers = HTTP_HEADERS_INIT;
        if (build_headers(c, call, &u, &headers, &last) != 0) {
            /* Credentials and signing problems are not transient here: the
             * providers retry their own sources. */
            wipe_headers(&headers);
            finish_error(err, &last, call);
            break;
        }
        trace_headers("request headers", call, &headers);
        trace_body("request body", call, call->wire, 1, call->body, call->body_len);
        struct http_request req = {.method = "POST",
                                   .url = url,
                                   .headers = &headers,
                                   .body = call->body,
                                   .body_len = call->body_len,
                                   .max_response_bytes = aws_max_response_bytes(call->svc)};
        struct http_response resp;
        memset(&resp, 0, sizeof(resp));
        double sent_at = clock_elapsed_s();
        int sent = http_send(c->http, &req, &resp, &last);
        wipe_headers(&headers);
        if (sent == 0)
            note_date(c, &resp, sent_at);
        c->stats.attempts++;
        int ok = 0;
        if (sent == 0) {
            trace_body("response body", call, call->wire, 0, buf_cstr(&resp.body), resp.body.len);
            enum aws_answer answer = aws_answer_classify(call, url, &resp, &last);
            if (answer == AWS_ANSWER_UNREADABLE) {
                /* A 2xx answer we cannot read is not retried: sending the
                 * same request again would not change it. */
                log_debug("%s %s: attempt %d/%d: HTTP %ld, request id %s, unreadable answer",
                          call->svc->name, call->action, attempt, max_attempts, resp.status,
                          last.request_id[0] ? last.request_id : "(none)");
                http_response_free(&resp);
                finish_error(err, &last, call);
                break;
            }
            if (answer == AWS_ANSWER_OK) {
                ok = 1;
                const char *id = aws_header_request_id(&resp.headers);
                log_debug("%s %s: attempt %d/%d: HTTP %ld, request id %s", call->svc->name,
                          call->action, attempt, max_attempts, resp.status, id ? id : "(none)");
            } else {
                log_debug("%s %s: attempt %d/%d: HTTP %ld, request id %s, error %s",
                          call->svc->name, call->action, attempt, max_attempts, resp.status,
                          last.request_id[0] ? last.request_id : "(none)",
                          last.code[0] ? last.code : err_kind_name(last.kind));
            }
        } else {
            log_debug("%s %s: attempt %d/%d: %s", call->svc->name, call->action, attempt,
                      max_attempts, last.message);
        }
        http_response_free(&resp);
        if (c->adaptive)
            aws_adaptive_record(c->adaptive, call->svc->signing_name,
                                !ok && sent == 0 && aws_error_is_throttling(&last),
                                clock_elapsed_s());
        if (ok) {
            aws_retry_quota_release(c, quota_taken ? quota_taken : 1);
            rc = 0;
            break;
        }
        if (aws_error_is_throttling(&last))
            c->stats.throttled++;
        if (!aws_error_is_retryable(&last)) {
            finish_error(err, &last, call);
            break;
        }
        if (attempt >= max_attempts) {
            finish_error(err, &last, call);
            if (max_attempts > 1)
                err_append(err, " (gave up after %d attempts)", attempt);
            break;
        }
        int cost = aws_retry_quota_acquire(c, &last);
        if (!cost) {
            finish_error(err, &last, call);
            err_append(err, " (not retried: the client's retry quota is used up after many "
                            "failures)");
            break;
        }
        quota_taken = cost;
        double delay = aws_retry_backoff_s(c, attempt);
        log_debug("%s %s: retrying in %.3f s (attempt %d of %d next)", call->svc->name,
                  call->action, delay, attempt + 1, max_attempts);
        struct err slept;
        if (aws_retry_sleep(c, delay, &slept) != 0) {
            struct buf why = BUF_INIT;
            err_format(&last, &why);
            err_set(err, ERR_INTERRUPTED, "%s: interrupted while waiting to retry after: %s",
                    call->action, why.data);
            buf_free(&why);
            break;
        }
        c->stats.retries++;
    }
    http_url_free(&u);
    free(url);
    return rc;
}

/* ---- Query parameters --------------------------------------------------- */

void aws_params_add(struct aws_params *p, const char *key, const char *value)
{
    strv_push(&p->keys, key);
    strv_push(&p->values, value ? value : "");
}

void aws_params_addf(struct aws_params *p, const char *key, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    strv_push(&p->keys, key);
    strv_push_owned(&p->values, buf_steal(&b));
}

void aws_params_add_list(struct aws_params *p, const char *key, const char *const *v, size_t n)
{
    if (n == 0) {
        /* As botocore: an empty list is sent as "Key=" so that the service
         * sees an empty list rather than no parameter. */
        aws_params_add(p, key, "");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        strv_pushf(&p->keys, "%s.member.%zu", key, i + 1);
        strv_push(&p->values, v[i] ? v[i] : "");
    }
}

void aws_params_free(struct aws_params *p)
{
    strv_free(&p->keys);
    strv_free(&p->values);
}
