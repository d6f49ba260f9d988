/* Credentials and the providers that find them, in the AWS SDKs' order.
 * Each source is a small provider in its own file under aws/creds/; the
 * chain and the refreshing cache are providers too (as in aws-c-auth). */
#ifndef ECSR_AWS_CREDS_H
#define ECSR_AWS_CREDS_H

#include <time.h>

#include "aws/http.h"
#include "util/err.h"

struct aws_credentials {
    char *access_key_id;
    char *secret_access_key; /* secret: never printed */
    char *session_token;     /* secret: never printed; NULL when none */
    time_t expiration;       /* 0: does not expire */
    char *source;            /* provider that produced them, for messages */
};

void aws_credentials_free(struct aws_credentials *c); /* wipes the secrets */
void aws_credentials_copy(struct aws_credentials *dst, const struct aws_credentials *src);

struct cred_provider {
    const char *name; /* "environment", "profile foo", "process", "imds", ... */
    /* Fill `out` (zeroed by the caller), or fail with a message that names
     * the source and the fix. When the source is simply not configured (no
     * variables set, no such profile key) return -1 with *absent = 1 and a
     * short reason in err (the chain lists it when no source has
     * credentials), so that a chain moves on to the next provider; when it
     * is configured but broken (unreadable file, bad JSON, expired token)
     * return -1 with *absent = 0 and the chain stops with this error, as the
     * SDKs do. */
    int (*get)(struct cred_provider *self, struct aws_credentials *out, int *absent,
               struct err *err);
    void (*destroy)(struct cred_provider *self);
};

int cred_provider_get(struct cred_provider *p, struct aws_credentials *out, struct err *err);
/* The same, telling whether a failure means "not configured" (*absent = 1). */
int cred_provider_try(struct cred_provider *p, struct aws_credentials *out, int *absent,
                      struct err *err);
void cred_provider_free(struct cred_provider *p);

/* What the role providers ask STS for. The STS calls themselves live in the
 * service layer (svc/sts.c) and reach the providers through cred_sts_ops,
 * so calls only go downward. */
struct sts_role_request {
    const char *role_arn;
    const char *role_session_name;  /* NULL: "ecs-rollout-<unix time>" */
    const char *external_id;        /* AssumeRole only */
    const char *web_identity_token; /* AssumeRoleWithWebIdentity only; secret */
    int duration_seconds;           /* 0: STS default (3600) */
};

struct cred_sts_ops {
    /* Signed with `source`'s credentials. */
    int (*assume_role)(void *ctx, struct cred_provider *source, const struct sts_role_request *req,
                       struct aws_credentials *out, struct err *err);
    /* Unsigned. */
    int (*assume_role_with_web_identity)(void *ctx, const struct sts_role_request *req,
                                         struct aws_credentials *out, struct err *err);
    void *ctx;
};

struct cred_chain_options {
    const char *profile;            /* --profile; NULL: AWS_PROFILE, AWS_DEFAULT_PROFILE */
    struct http_client *http;       /* for IMDS and the container endpoint (borrowed) */
    const struct cred_sts_ops *sts; /* for role_arn and web identity (borrowed) */
};

/* The default chain, wrapped in a cache that refreshes temporary
 * credentials ahead of their expiry (a rollout can outlast them). */
struct cred_provider *cred_default_chain_new(const struct cred_chain_options *opts,
                                             struct err *err);

/* An ISO 8601 / RFC 3339 time as credential sources write Expiration
 * ("2024-05-01T12:00:00Z", "...T12:00:00.123+02:00") to a time_t.
 * Returns 0, or -1 when it is not such a time or not after 1970 (0 means
 * "never expires" in struct aws_credentials). */
int cred_parse_time(const char *s, time_t *out);

/* A provider that always returns fixed credentials (tests, benchmarks). */
struct cred_provider *cred_static_new(const char *access_key_id, const char *secret_access_key,
                                      const char *session_token);

#endif
