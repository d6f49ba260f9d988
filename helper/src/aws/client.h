/* The AWS client: region, endpoints, signing, retries and the two wire
 * protocols the rollout needs (Query for Auto Scaling, EC2 and STS; JSON 1.1
 * for ECS). Service calls in svc/ are built on aws_query_call and
 * aws_json_call and never touch HTTP themselves. */
#ifndef ECSR_AWS_CLIENT_H
#define ECSR_AWS_CLIENT_H

#include <signal.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws/creds.h"
#include "aws/http.h"
#include "aws/xml.h"
#include "util/err.h"
#include "util/strv.h"

struct aws_service {
    const char *name;            /* for messages: "Auto Scaling" */
    const char *signing_name;    /* "autoscaling" */
    const char *endpoint_prefix; /* "autoscaling" */
    const char *env_suffix;      /* AWS_ENDPOINT_URL_<env_suffix>: "AUTO_SCALING" */
    /* The longest answer accepted (0: HTTP_DEFAULT_MAX_RESPONSE_BYTES); its
     * parsed tree may take XML_ or JSON_TREE_BYTES_PER_BODY_BYTE times that. */
    size_t max_response_bytes;
    /* The service prefix of its IAM actions when it is not the signing name
     * (CloudWatch signs as "monitoring", its actions are "cloudwatch:");
     * NULL: signing_name. */
    const char *iam_prefix;
};

extern const struct aws_service AWS_SVC_AUTOSCALING;
extern const struct aws_service AWS_SVC_ECS;
extern const struct aws_service AWS_SVC_EC2;
extern const struct aws_service AWS_SVC_STS;
extern const struct aws_service AWS_SVC_CLOUDWATCH;

/* Partition facts for a region: "aws" / "amazonaws.com", "aws-cn" /
 * "amazonaws.com.cn", "aws-us-gov" / "amazonaws.com". */
const char *aws_partition_of(const char *region);
const char *aws_dns_suffix_of(const char *region);

/* Standard-mode retry settings. */
struct aws_retry {
    int max_attempts;     /* 0: AWS_MAX_ATTEMPTS or 3 */
    double max_backoff_s; /* 0: 20 */
    /* Injected for tests; NULL: nanosleep / a seeded PRNG. */
    void (*sleep_ms)(long ms, void *ud);
    double (*random01)(void *ud);
    void *ud;
};

struct aws_stats {
    unsigned long calls;    /* API calls made */
    unsigned long attempts; /* HTTP attempts, retries included */
    unsigned long retries;
    unsigned long throttled; /* attempts answered with a throttling error */
};

/* AWS's clock, as the Date header of its answers tells it (RFC 9110
 * section 6.6.1: when the server generated the answer, in whole seconds),
 * kept with the local clock_elapsed_s() times around the request that
 * brought it: AWS's time now is then known within about a second plus a
 * round trip, whatever the local wall clock says. */
struct aws_clock {
    int known;
    long long date;   /* Unix seconds, from the latest answer with a Date */
    double sent_at;   /* clock_elapsed_s() when that request was sent */
    double answer_at; /* ... and when its answer was complete */
};

struct aws_client {
    struct http_client *http;    /* borrowed */
    struct cred_provider *creds; /* borrowed; NULL: unsigned requests */
    char *region;                /* owned */
    char *endpoint_url;          /* owned; --endpoint-url, overrides every service */
    struct aws_retry retry;
    struct aws_stats stats;
    /* Set by a signal handler: backoff sleeps end early with ERR_INTERRUPTED. */
    const volatile sig_atomic_t *interrupted;
    /* Fixed clock for signing in tests (0: time(NULL)). */
    long long fixed_time;
    /* --allow-plain-http: http:// endpoints beyond this machine are
     * accepted for signed calls (never for a call carrying a token). */
    int allow_plain_http;
    /* Standard-mode retry quota (botocore's RetryQuotaChecker): starts at
     * AWS_RETRY_QUOTA_MAX; a retry costs 5 (10 after a timeout); a success
     * gives back 1, or what its last retry cost. Set by aws_client_init. */
    int retry_quota;
    uint64_t rng_state; /* backoff jitter when retry.random01 is NULL */
    /* The adaptive retry mode's rate limiters (adaptive.h), borrowed and
     * shared with the fan-out's workers; NULL: standard mode. */
    struct aws_adaptive *adaptive;
    struct aws_clock clock; /* from every answer, errors included */
};

#define AWS_RETRY_QUOTA_MAX 500

/* Zeroes *c, copies region and endpoint_url. */
void aws_client_init(struct aws_client *c, struct http_client *http, struct cred_provider *creds,
                     const char *region, const char *endpoint_url);
void aws_client_cleanup(struct aws_client *c);

/* The endpoint for a service: --endpoint-url, AWS_ENDPOINT_URL_<SVC>,
 * AWS_ENDPOINT_URL (both skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is
 * true), then https://<prefix>.<region>.<dns suffix>. Returns a new string,
 * or NULL when no endpoint is set and the region is missing or invalid. */
char *aws_endpoint_for(const struct aws_client *c, const struct aws_service *svc);
/* The same with a reason on failure; *source says where the URL came from
 * ("--endpoint-url", "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL", "region"). */
int aws_endpoint_resolve(const struct aws_client *c, const struct aws_service *svc, char **url,
                         const char **source, struct err *err);

/* Whether calls may go to this endpoint: https://, or http:// to this
 * machine (loopback), or with c->allow_plain_http to any host; with
 * `bearer_secret` (the body carries a token) http:// only to loopback.
 * `source` names where the URL came from. ERR_USAGE says what to do. */
int aws_endpoint_transport_check(const struct aws_client *c, const struct aws_service *svc,
                                 const char *action, const char *url, const char *source,
                                 int bearer_secret, struct err *err);

/* AWS's time at local time `elapsed` (a clock_elapsed_s() value), in Unix
 * seconds: no earlier than *earliest and no later than *latest. Returns
 * 0, or -1 when no answer has carried a readable Date yet. */
int aws_client_aws_time(const struct aws_client *c, double elapsed, double *earliest,
                        double *latest);

/* The retry mode: AWS_RETRY_MODE "adaptive" (*adaptive = 1), "standard" or
 * "legacy" (0: the helper's standard mode stands in for legacy), unset or
 * empty: `fallback`; anything else is an ERR_USAGE error. */
int aws_retry_mode_adaptive(int fallback, int *adaptive, struct err *err);

/* Max attempts per call: retry.max_attempts, else AWS_MAX_ATTEMPTS (a whole
 * number from 1 to 100; anything else is an ERR_USAGE error), else 3. */
int aws_retry_max_attempts(const struct aws_client *c, int *out, struct err *err);

/* Query protocol parameters, in insertion order. */
struct aws_params {
    struct strv keys;
    struct strv values;
};
#define AWS_PARAMS_INIT                                                                            \
    {                                                                                              \
        STRV_INIT, STRV_INIT                                                                       \
    }
void aws_params_add(struct aws_params *p, const char *key, const char *value);
void aws_params_addf(struct aws_params *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds key.member.1 = v[0], key.member.2 = v[1], ... */
void aws_params_add_list(struct aws_params *p, const char *key, const char *const *v, size_t n);
void aws_params_free(struct aws_params *p);

enum aws_call_flags {
    AWS_CALL_UNSIGNED = 1, /* AssumeRoleWithWebIdentity */
    /* The body carries a bearer secret (a web identity token), which goes
     * over plain http:// to this machine only, whatever allow_plain_http. */
    AWS_CALL_SECRET_BODY = 2,
};

/* A Query call (POST form, XML answer), with retries. On success *result is
 * the response document's root element (<ActionResponse>); free it with
 * xml_free. Errors: ERR_SERVICE with AWS's code, message and request id;
 * ERR_PROTOCOL for a body that is neither; network kinds from http_send.
 * The message always starts with the action name. */
int aws_query_call(struct aws_client *c, const struct aws_service *svc, const char *action,
                   const char *version, const struct aws_params *params, int flags,
                   struct xml_node **result, struct err *err);

/* A JSON 1.1 call (X-Amz-Target: <target_prefix>.<action>), with retries.
 * `request` may be NULL for "{}". On success *response is the parsed body
 * (an object); free it with cJSON_Delete. Errors as for aws_query_call. */
int aws_json_call(struct aws_client *c, const struct aws_service *svc, const char *target_prefix,
                  const char *action, const cJSON *request, cJSON **response, struct err *err);

/* Whether an error is one the standard retry mode retries (throttling,
 * transient codes, 5xx, timeouts, connection failures). */
int aws_error_is_retryable(const struct err *e);
/* AWS refused the call for lack of an IAM permission (AccessDenied,
 * AccessDeniedException, UnauthorizedOperation, ...). */
int aws_error_is_access_denied(const struct err *e);
int aws_error_is_throttling(const struct err *e);

#endif
