/* HTTP over libcurl. One easy handle per client: libcurl keeps the
 * connection cache in the handle, so consecutive calls to the same endpoint
 * share one connection. Options are reset before every request
 * (curl_easy_reset keeps live connections), so nothing leaks from one
 * request into the next. */
#include "aws/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/mem.h"

/* Headers of one answer: AWS sends about a dozen. libcurl bounds each
 * line's length; this bounds how many we keep. */
#define MAX_RESPONSE_HEADERS 200

struct http_client {
    CURL *curl;
    long connect_timeout_ms;
    long request_timeout_ms;
    char *ca_bundle; /* NULL: the system store */
    const volatile sig_atomic_t *interrupted;
    struct http_stats stats;
    char errbuf[CURL_ERROR_SIZE];
};

/* ---- headers ------------------------------------------------------------ */

void http_headers_add(struct http_headers *h, const char *name, const char *value)
{
    h->v = xgrow(h->v, &h->cap, h->n + 1, sizeof(*h->v));
    h->v[h->n].name = xstrdup(name);
    h->v[h->n].value = xstrdup(value ? value : "");
    h->n++;
}

void http_headers_set(struct http_headers *h, const char *name, const char *value)
{
    size_t out = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->v[i].name, name) == 0) {
            free(h->v[i].name);
            free(h->v[i].value);
            continue;
        }
        h->v[out++] = h->v[i];
    }
    h->n = out;
    http_headers_add(h, name, value);
}

const char *http_headers_get(const struct http_headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->v[i].name, name) == 0)
            return h->v[i].value;
    return NULL;
}

void http_headers_free(struct http_headers *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].name);
        free(h->v[i].value);
    }
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

/* ---- client ------------------------------------------------------------- */

struct http_client *http_client_new(const struct http_options *opts, struct err *err)
{
    static int global_done;
    if (!global_done) {
        CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) {
            err_set(err, ERR_INTERNAL, "cannot initialise libcurl: %s", curl_easy_strerror(rc));
            return NULL;
        }
        global_done = 1;
    }
    const char *ca = opts && opts->ca_bundle ? opts->ca_bundle : NULL;
    const char *ca_source = "the CA bundle option";
    if (!ca) {
        const char *env = getenv("AWS_CA_BUNDLE");
        if (env && *env) {
            ca = env;
            ca_source = "AWS_CA_BUNDLE";
        }
    }
    if (ca && access(ca, R_OK) != 0) {
        err_set(err, ERR_CONFIG, "%s names the CA bundle %s, which cannot be read: %s", ca_source,
                ca, strerror(errno));
        return NULL;
    }
    CURL *curl = curl_easy_init();
    if (!curl) {
        err_set(err, ERR_INTERNAL, "cannot create a libcurl handle");
        return NULL;
    }
    struct http_client *c = xcalloc(1, sizeof(*c));
    c->curl = curl;
    c->connect_timeout_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 5000;
    c->request_timeout_ms = opts && opts->request_timeout_ms > 0 ? opts->request_timeout_ms : 60000;
    c->ca_bundle = xstrdup(ca);
    c->interrupted = opts ? opts->interrupted : NULL;
    return c;
}

struct http_client *http_client_clone(const struct http_client *c, struct err *err)
{
    struct http_options o;
    memset(&o, 0, sizeof(o));
    o.connect_timeout_ms = c->connect_timeout_ms;
    o.request_timeout_ms = c->request_timeout_ms;
    o.ca_bundle = c->ca_bundle;
    o.interrupted = c->interrupted;
    return http_client_new(&o, err);
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c->ca_bundle);
    free(c);
}

void http_client_stats(const struct http_client *c, struct http_stats *out)
{
    *out = c->stats;
}

void http_response_free(struct http_response *r)
{
    if (!r)
        return;
    http_headers_free(&r->headers);
    buf_free(&r->body);
    r->status = 0;
}

/* ---- one request --------------------------------------------------------- */

struct transfer {
    struct http_response *resp;
    size_t max_body;
    int too_big;
    int too_many_headers;
    const volatile sig_atomic_t *interrupted; /* NULL: not interruptible */
    int was_interrupted;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * n;
    if (len > t->max_body - t->resp->body.len) {
        t->too_big = 1;
        return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
    }
    buf_append(&t->resp->body, p, len);
    return len;
}

/* libcurl calls this often while data flows and about once a second while
 * it waits (also after a signal interrupts its poll): a stop request ends
 * the transfer there. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    struct transfer *t = ud;
    if (t->interrupted && *t->interrupted) {
        t->was_interrupted = 1;
        return 1; /* CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

void http_headers_parse_line(struct http_headers *h, const char *line, size_t len)
{
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new status line (after 100 Continue or a proxy's CONNECT
         * answer): only the final response's headers count. */
        http_headers_free(h);
        return;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return;
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    char *name = xstrndup(line, (size_t)(colon - line));
    char *value = xstrndup(v, (size_t)(end - v));
    http_headers_add(h, name, value);
    free(name);
    free(value);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * n;
    if (t->resp->headers.n >= MAX_RESPONSE_HEADERS) {
        t->too_many_headers = 1;
        return 0; /* CURLE_WRITE_ERROR */
    }
    http_headers_parse_line(&t->resp->headers, p, len);
    return len;
}

static int is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return 1;
    default:
        return 0;
    }
}

/* Turns a libcurl failure into an error that names the host and port and
 * says what to check. */
static int transport_error(struct http_client *c, CURLcode rc, const struct http_url *u,
                           long timeout_ms, const struct transfer *t, struct err *err)
{
    long os_errno = 0;
    curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
    const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
    char where[300];
    int v6 = strchr(u->host, ':') != NULL;
    snprintf(where, sizeof(where), "%s%s%s:%d", v6 ? "[" : "", u->host, v6 ? "]" : "", u->port);

    if (is_tls_error(rc))
        return err_set(err, ERR_TLS,
                       "TLS with %s failed: %s. If a proxy or a private certificate authority "
                       "intercepts TLS, point AWS_CA_BUNDLE at its CA certificate (PEM)",
                       where, detail);
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return err_set(err, ERR_NETWORK,
                       "cannot resolve the host name %s (%s): check the region, the endpoint URL "
                       "and DNS",
                       u->host, detail);
    case CURLE_COULDNT_RESOLVE_PROXY:
        return err_set(err, ERR_NETWORK,
                       "cannot resolve the proxy host for %s (%s): check https_proxy / http_proxy",
                       where, detail);
    case CURLE_COULDNT_CONNECT:
        if (os_errno == ECONNREFUSED)
            return err_set(err, ERR_NETWORK,
                           "connection to %s refused (%s): is the endpoint right and the service "
                           "up?",
                           where, detail);
        return err_set(err, ERR_NETWORK, "cannot connect to %s: %s", where, detail);
    case CURLE_OPERATION_TIMEDOUT: {
        /* Not CONNECT_TIME, which is 0 on a reused connection too. */
        curl_off_t connected = 0;
        curl_easy_getinfo(c->curl, CURLINFO_PRETRANSFER_TIME_T, &connected);
        if (connected == 0)
            return err_set(err, ERR_TIMEOUT, "connecting to %s timed out after %ld ms (%s)", where,
                           c->connect_timeout_ms, detail);
        return err_set(err, ERR_TIMEOUT, "no complete answer from %s within %ld ms (%s)", where,
                       timeout_ms, detail);
    }
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        if (os_errno == ECONNRESET)
            return err_set(err, ERR_NETWORK, "connection to %s was reset (%s)", where, detail);
        return err_set(err, ERR_NETWORK, "connection to %s failed while %s (%s)", where,
                       rc == CURLE_SEND_ERROR ? "sending" : "receiving", detail);
    case CURLE_GOT_NOTHING:
        return err_set(err, ERR_NETWORK, "%s closed the connection without answering (%s)", where,
                       detail);
    case CURLE_PARTIAL_FILE:
        return err_set(err, ERR_NETWORK, "the answer from %s was cut short (%s)", where, detail);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* A connection-level failure, retried like one (as botocore does
         * with urllib3's protocol errors). */
        return err_set(err, ERR_NETWORK, "%s did not answer with HTTP (%s)", where, detail);
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (t->too_big || rc == CURLE_FILESIZE_EXCEEDED)
            return err_set(err, ERR_PROTOCOL,
                           "the answer from %s is longer than %zu bytes, the most this request "
                           "accepts; it was not read further (is something other than AWS "
                           "answering there?)",
                           where, t->max_body);
        if (t->too_many_headers)
            return err_set(err, ERR_PROTOCOL,
                           "the answer from %s has more than %d header lines; it was not read "
                           "further (is something other than AWS answering there?)",
                           where, MAX_RESPONSE_HEADERS);
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        if (t->was_interrupted)
            return err_set(err, ERR_INTERRUPTED, "the request to %s was stopped on request", where);
        break;
    default:
        break;
    }
    return err_set(err, ERR_NETWORK, "request to %s failed: %s", where, detail);
}

static struct curl_slist *append_header(struct curl_slist *list, const char *name,
                                        const char *value)
{
    struct buf line = BUF_INIT;
    /* "Name;" sends an empty header; "Name:" would remove it. */
    if (value && *value)
        buf_printf(&line, "%s: %s", name, value);
    else
        buf_printf(&line, "%s;", name);
    struct curl_slist *next = curl_slist_append(list, line.data);
    buf_free_secret(&line); /* the line may hold a token */
    if (!next) {
        fprintf(stderr, "ecs-rollout: out of memory\n");
        abort();
    }
    return next;
}

/* A header line that cannot be forged from its parts: a token-like name,
 * a value without control characters (a tab aside). */
static const char *bad_header(const struct http_headers *h)
{
    for (size_t i = 0; h && i < h->n; i++) {
        const char *name = h->v[i].name;
        int ok = *name != '\0';
        for (const char *p = name; ok && *p; p++)
            ok = (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f && *p != ':';
        for (const char *p = h->v[i].value; ok && p && *p; p++)
            ok = *p == '\t' || ((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f);
        if (!ok)
            return name;
    }
    return NULL;
}

int http_send(struct http_client *c, const struct http_request *req, struct http_response *resp,
              struct err *err)
{
    const char *bad = bad_header(req->headers);
    if (bad)
        /* The value may be a token: only the header is named. */
        return err_set(err, ERR_PROTOCOL,
                       "refusing to send a request with the header \"%.64s\": its name or value "
                       "holds a line break or another control character",
                       bad);
    struct http_url u;
    if (http_url_parse(req->url, &u, err) != 0)
        return -1;
    CURL *h = c->curl;
    curl_easy_reset(h);
    c->errbuf[0] = '\0';
    long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : c->request_timeout_ms;
    struct transfer t = {.resp = resp,
                         .max_body = req->max_response_bytes ? req->max_response_bytes
                                                             : HTTP_DEFAULT_MAX_RESPONSE_BYTES};
    if (c->interrupted && *c->interrupted) {
        /* Already stopping: this is one of the run's last writes (releasing
         * its lease), which may not hold the exit up for long. */
        if (timeout_ms > HTTP_STOPPING_TIMEOUT_MS)
            timeout_ms = HTTP_STOPPING_TIMEOUT_MS;
    } else {
        t.interrupted = c->interrupted;
    }

    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ecs-rollout/" ECSR_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Verification is always on; there is deliberately no way to turn it off. */
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_bundle)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
    /* Without CURLOPT_PROXY libcurl follows http_proxy, https_proxy,
     * all_proxy and no_proxy itself. */
    if (http_host_bypasses_proxy(u.host))
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    /* An announced length over the limit fails before the body is read. */
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t.max_body);
    if (t.interrupted) {
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }

    /* Host goes out exactly as the caller gave (and maybe signed) it. */
    struct curl_slist *hdrs = NULL;
    int have_host = 0, have_ctype = 0;
    if (req->headers) {
        for (size_t i = 0; i < req->headers->n; i++) {
            const struct http_header *hd = &req->headers->v[i];
            have_host |= strcasecmp(hd->name, "Host") == 0;
            have_ctype |= strcasecmp(hd->name, "Content-Type") == 0;
            hdrs = append_header(hdrs, hd->name, hd->value);
        }
    }
    if (!have_host)
        hdrs = append_header(hdrs, "Host", u.host_header);
    /* No default form Content-Type, no 100-continue round trip. */
    if (!have_ctype)
        hdrs = curl_slist_append(hdrs, "Content-Type:");
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    const char *method = req->method ? req->method : "GET";
    const char *body = req->body ? (const char *)req->body : "";
    if (strcmp(method, "GET") == 0 && req->body_len == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }

    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    c->stats.requests++;
    long new_conns = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &new_conns) == CURLE_OK && new_conns > 0)
        c->stats.connections += (unsigned long)new_conns;
    int result = 0;
    if (rc != CURLE_OK) {
        result = transport_error(c, rc, &u, timeout_ms, &t, err);
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    }
    http_url_free(&u);
    return result;
}

int http_date_parse(const char *value, long long *out)
{
    if (!value || !*value)
        return -1;
    time_t t = curl_getdate(value, NULL);
    if (t < (time_t)946684800) /* -1 (unreadable), or not a date of ours */
        return -1;
    *out = (long long)t;
    return 0;
}
