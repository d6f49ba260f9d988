/* The SDKs' "standard" retry mode, as botocore implements it
 * (botocore/retries/standard.py): which errors are retried, the backoff
 * (full jitter: random in [0, 1) times 2^(attempt-1) seconds, capped at
 * 20 s) and the retry quota. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client_impl.h"

#define MAX_ATTEMPTS_LIMIT 100
#define DEFAULT_MAX_ATTEMPTS 3
#define DEFAULT_MAX_BACKOFF_S 20.0
#define RETRY_COST 5
#define TIMEOUT_RETRY_COST 10

/* botocore's union of the codes that mean "slow down". */
static const char *const throttling_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

static const char *const transient_codes[] = {
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
};

static int in_list(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return 1;
    return 0;
}

int aws_error_is_throttling(const struct err *e)
{
    return e->kind == ERR_SERVICE && e->code[0] &&
           in_list(e->code, throttling_codes, sizeof(throttling_codes) / sizeof(*throttling_codes));
}

/* The codes AWS services use for "not authorized": Query services,
 * JSON services, EC2. */
static const char *const access_denied_codes[] = {
    "AccessDenied",       "AccessDeniedException", "UnauthorizedOperation",
    "UnauthorizedAccess", "UnauthorizedException",
};

int aws_error_is_access_denied(const struct err *e)
{
    return e->kind == ERR_SERVICE && e->code[0] &&
           in_list(e->code, access_denied_codes,
                   sizeof(access_denied_codes) / sizeof(*access_denied_codes));
}

int aws_error_is_retryable(const struct err *e)
{
    switch (e->kind) {
    case ERR_NETWORK:
    case ERR_TIMEOUT:
        return 1;
    case ERR_SERVICE:
    case ERR_PROTOCOL:
        if (e->http_status == 500 || e->http_status == 502 || e->http_status == 503 ||
            e->http_status == 504)
            return 1;
        return e->kind == ERR_SERVICE &&
               (aws_error_is_throttling(e) ||
                in_list(e->code, transient_codes,
                        sizeof(transient_codes) / sizeof(*transient_codes)));
    default:
        return 0;
    }
}

int aws_retry_max_attempts(const struct aws_client *c, int *out, struct err *err)
{
    if (c->retry.max_attempts > 0) {
        *out = c->retry.max_attempts;
        return 0;
    }
    const char *v = getenv("AWS_MAX_ATTEMPTS");
    if (!v || !*v) {
        *out = DEFAULT_MAX_ATTEMPTS;
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!isdigit((unsigned char)v[0]) || errno || *end || n < 1 || n > MAX_ATTEMPTS_LIMIT)
        return err_set(err, ERR_USAGE,
                       "AWS_MAX_ATTEMPTS='%s' is not valid: it must be a whole number of attempts "
                       "from 1 to %d (the first try included)",
                       v, MAX_ATTEMPTS_LIMIT);
    *out = (int)n;
    return 0;
}

int aws_retry_mode_adaptive(int fallback, int *adaptive, struct err *err)
{
    const char *v = getenv("AWS_RETRY_MODE");
    if (!v || !*v) {
        *adaptive = fallback;
        return 0;
    }
    if (strcmp(v, "adaptive") == 0 || strcmp(v, "standard") == 0 || strcmp(v, "legacy") == 0) {
        *adaptive = strcmp(v, "adaptive") == 0;
        return 0;
    }
    return err_set(err, ERR_USAGE,
                   "AWS_RETRY_MODE='%s' is not valid: it must be standard, adaptive or legacy", v);
}

/* splitmix64: enough for jitter, and seedable per client. */
static double prng01(struct aws_client *c)
{
    uint64_t z = (c->rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0; /* [0, 1) */
}

double aws_retry_backoff_s(struct aws_client *c, int attempts_made)
{
    double r = c->retry.random01 ? c->retry.random01(c->retry.ud) : prng01(c);
    if (!(r >= 0.0))
        r = 0.0;
    if (r > 1.0)
        r = 1.0;
    double cap = c->retry.max_backoff_s > 0 ? c->retry.max_backoff_s : DEFAULT_MAX_BACKOFF_S;
    int exp = attempts_made > 1 ? attempts_made - 1 : 0;
    if (exp > 62)
        exp = 62;
    double d = r * ldexp(1.0, exp);
    return d < cap ? d : cap;
}

static int interrupted(const struct aws_client *c)
{
    return c->interrupted && *c->interrupted;
}

int aws_retry_sleep(struct aws_client *c, double seconds, struct err *err)
{
    long ms = (long)(seconds * 1000.0 + 0.5);
    if (c->retry.sleep_ms) {
        if (!interrupted(c))
            c->retry.sleep_ms(ms, c->retry.ud);
    } else {
        /* Short slices, so a signal that did not interrupt nanosleep is
         * still noticed promptly. */
        while (ms > 0 && !interrupted(c)) {
            long slice = ms < 100 ? ms : 100;
            struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            ms -= slice;
        }
    }
    if (interrupted(c))
        return err_set(err, ERR_INTERRUPTED, "interrupted while waiting to retry");
    return 0;
}

int aws_retry_quota_acquire(struct aws_client *c, const struct err *e)
{
    int cost = e->kind == ERR_TIMEOUT ? TIMEOUT_RETRY_COST : RETRY_COST;
    if (c->retry_quota < cost)
        return 0;
    c->retry_quota -= cost;
    return cost;
}

void aws_retry_quota_release(struct aws_client *c, int amount)
{
    c->retry_quota += amount;
    if (c->retry_quota > AWS_RETRY_QUOTA_MAX)
        c->retry_quota = AWS_RETRY_QUOTA_MAX;
}
