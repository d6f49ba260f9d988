/* HTTP over libcurl: one easy handle per client, so connections are reused
 * across calls; TLS verification is always on. */
#ifndef ECSR_AWS_HTTP_H
#define ECSR_AWS_HTTP_H

#include <signal.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

struct http_header {
    char *name;
    char *value;
};

struct http_headers {
    struct http_header *v;
    size_t n;
    size_t cap;
};

#define HTTP_HEADERS_INIT                                                                          \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void http_headers_add(struct http_headers *h, const char *name, const char *value);
/* Replace every header of that name (case-insensitive) with one value. */
void http_headers_set(struct http_headers *h, const char *name, const char *value);
/* First value of that name (case-insensitive), or NULL. */
const char *http_headers_get(const struct http_headers *h, const char *name);
void http_headers_free(struct http_headers *h);
/* Adds one received header line ("Name: value\r\n"; surrounding blanks
 * dropped) to h; a status line ("HTTP/...") clears h, a line without a
 * colon is ignored. What libcurl's header callback does with each line. */
void http_headers_parse_line(struct http_headers *h, const char *line, size_t len);

struct http_options {
    long connect_timeout_ms; /* 0: 5000 */
    long request_timeout_ms; /* 0: 60000; the whole transfer */
    const char *ca_bundle;   /* PEM file; NULL: AWS_CA_BUNDLE, else the system store */
    /* Set by a signal handler (may be NULL). A request under way when it
     * becomes non-zero stops within about a second with ERR_INTERRUPTED; one
     * started after it was set (the last writes of a stopping run) may take
     * at most HTTP_STOPPING_TIMEOUT_MS. */
    const volatile sig_atomic_t *interrupted;
};

#define HTTP_STOPPING_TIMEOUT_MS 5000L
/* The largest answer http_send accepts when the request names no limit. */
#define HTTP_DEFAULT_MAX_RESPONSE_BYTES (8u * 1024u * 1024u)

struct http_client;

struct http_client *http_client_new(const struct http_options *opts, struct err *err);
void http_client_free(struct http_client *c);
/* A new client (its own connection) with the same options. */
struct http_client *http_client_clone(const struct http_client *c, struct err *err);

struct http_request {
    const char *method; /* "GET", "POST", "PUT" */
    const char *url;
    const struct http_headers *headers; /* may be NULL; Host is set from the URL if absent */
    const void *body;
    size_t body_len;
    long timeout_ms; /* 0: the client's request timeout */
    /* A longer answer is refused with ERR_PROTOCOL before it is all read
     * (0: HTTP_DEFAULT_MAX_RESPONSE_BYTES). */
    size_t max_response_bytes;
};

struct http_response {
    long status;
    struct http_headers headers; /* names as received */
    struct buf body;
};

/* Sends one request. A response with any status is success (0); only
 * transport failures return -1, with err kind ERR_NETWORK (refused, reset,
 * closed, cut short, not HTTP, DNS), ERR_TIMEOUT or ERR_TLS and a message
 * naming the host and port; ERR_PROTOCOL for an answer longer than
 * req->max_response_bytes or with too many headers, and for a header whose
 * name or value holds a control character (never sent: it would forge
 * headers); ERR_INTERRUPTED when the client's interrupt flag was raised
 * during the request.
 * `resp` must be zeroed by the caller and freed with http_response_free
 * whatever the result.
 *
 * Proxies: libcurl's own handling of http_proxy, https_proxy, all_proxy and
 * no_proxy, except that loopback and link-local hosts (see
 * http_host_bypasses_proxy) are always reached directly. */
int http_send(struct http_client *c, const struct http_request *req, struct http_response *resp,
              struct err *err);
void http_response_free(struct http_response *r);

/* The time an HTTP date names, in Unix seconds (RFC 9110 section 5.6.7:
 * IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete RFC 850
 * and asctime forms a recipient must accept). 0, or -1 when the value is
 * not a date after 2000. */
int http_date_parse(const char *value, long long *out);

/* Counters for benchmarks and tests. */
struct http_stats {
    unsigned long requests;    /* requests sent, retries included */
    unsigned long connections; /* new connections opened */
};
void http_client_stats(const struct http_client *c, struct http_stats *out);

/* Whether requests to this host skip any proxy: localhost, 127.0.0.0/8,
 * ::1, link-local 169.254.0.0/16 (instance metadata, the ECS and EKS Pod
 * Identity container endpoints), fe80::/10, and fd00:ec2::254 and
 * fd00:ec2::23 (instance metadata and EKS Pod Identity over IPv6). */
int http_host_bypasses_proxy(const char *host);
/* Whether the host is this machine: localhost, 127.0.0.0/8 or ::1. */
int http_host_is_loopback(const char *host);

struct http_url {
    char *scheme; /* "https" / "http" */
    char *host;   /* without brackets or port */
    int port;     /* effective port (443 for https when absent) */
    char *path;   /* "/" when absent; as written (not decoded) */
    char *query;  /* without '?', NULL when absent */
    /* The Host header exactly as libcurl sends it: "host" for the scheme's
     * default port, "host:port" otherwise. SigV4 signs this value. */
    char *host_header;
};

int http_url_parse(const char *url, struct http_url *out, struct err *err);
void http_url_free(struct http_url *u);

#endif
