/* AWS Signature Version 4 (header form), with mbedTLS' md API. */
#ifndef ECSR_AWS_SIGV4_H
#define ECSR_AWS_SIGV4_H

#include <stddef.h>

#include "aws/http.h"
#include "util/buf.h"
#include "util/err.h"

struct sigv4_request {
    const char *method;
    const char *path;  /* as sent, e.g. "/" or "/example space/"; encoded by the signer */
    const char *query; /* as sent, without '?'; NULL or "" when none */
    const struct http_headers *headers; /* must contain Host; x-amz-date is added by the signer */
    const void *payload;
    size_t payload_len;
};

struct sigv4_params {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none */
    const char *region;
    const char *service;  /* signing name: "ecs", "autoscaling", "sts", "ec2" */
    const char *amz_date; /* "20150830T123600Z" */
    int normalize_path;   /* 1 for every service but S3 */
    /* Sign the request without X-Amz-Security-Token, then add the header
     * after signing (some services want that; the suite's
     * post-sts-header-after case). 0 for everything we call. */
    int omit_session_token;
    /* Also sign and send X-Amz-Content-Sha256 (the payload hash), as S3
     * wants and the suite's sign_body cases do. 0 for everything we call. */
    int content_sha256_header;
};

struct sigv4_result {
    struct buf canonical_request;
    struct buf string_to_sign;
    char signature[65];
    /* Headers to add to the request: X-Amz-Date, X-Amz-Security-Token
     * (when there is a token), X-Amz-Content-Sha256 (when asked for) and
     * Authorization, in that order. */
    struct http_headers add_headers;
};

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_params *params,
               struct sigv4_result *out, struct err *err);
void sigv4_result_free(struct sigv4_result *r);

/* "20150830T123600Z" for a Unix time. */
void sigv4_format_date(long long unix_time, char out[17]);

#endif
