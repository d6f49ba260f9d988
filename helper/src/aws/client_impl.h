/* Internals shared by the client's files (client.c, endpoint.c, retry.c,
 * aws_error.c, query.c, json_proto.c). Not for use outside src/aws. */
#ifndef ECSR_AWS_CLIENT_IMPL_H
#define ECSR_AWS_CLIENT_IMPL_H

#include "aws/client.h"
#include "aws/json_limit.h"

enum aws_wire {
    AWS_WIRE_QUERY, /* form request, XML answer */
    AWS_WIRE_JSON,  /* JSON 1.1 */
};

/* Parses a 2xx answer; on failure fills err (ERR_PROTOCOL) without the
 * action prefix, which the caller adds. */
typedef int (*aws_parse_ok_fn)(void *ud, const struct http_response *resp, const char *url,
                               struct err *err);

struct aws_call {
    const struct aws_service *svc;
    const char *action;
    enum aws_wire wire;
    const char *content_type;
    const char *target; /* X-Amz-Target, NULL for Query */
    const char *body;
    size_t body_len;
    int unsigned_call;
    int secret_body; /* AWS_CALL_SECRET_BODY */
    aws_parse_ok_fn parse_ok;
    void *parse_ud;
};

/* endpoint.c: the longest answer a service may give and what its parsed
 * tree may take. */
size_t aws_max_response_bytes(const struct aws_service *svc);
size_t aws_max_xml_tree_bytes(const struct aws_service *svc);
size_t aws_max_json_tree_bytes(const struct aws_service *svc);

/* Sends the call with signing, retries, logging and stats. Errors start
 * with the action name. */
int aws_call_perform(struct aws_client *c, const struct aws_call *call, struct err *err);

/* What one HTTP answer to a call is. */
enum aws_answer {
    AWS_ANSWER_OK,         /* 2xx that call->parse_ok accepted */
    AWS_ANSWER_UNREADABLE, /* 2xx that call->parse_ok refused (err: ERR_PROTOCOL) */
    AWS_ANSWER_ERROR,      /* anything else: the AWS error or an unexpected answer */
};
/* Classifies an answer, filling err unless it is AWS_ANSWER_OK. No action
 * prefix. Pure: the seam aws_call_perform and the fuzz targets share. */
enum aws_answer aws_answer_classify(const struct aws_call *call, const char *url,
                                    const struct http_response *resp, struct err *err);

/* query.c, json_proto.c: the readers of a 2xx answer behind the calls'
 * parse_ok. *root: the <ActionResponse> element; *doc: a JSON object. */
int aws_query_read_result(const struct aws_call *call, const char *url,
                          const struct http_response *resp, struct xml_node **root,
                          struct err *err);
int aws_json_read_result(const struct aws_call *call, const char *url,
                         const struct http_response *resp, cJSON **doc, struct err *err);

/* aws_error.c: the AWS error in a non-2xx answer (ERR_SERVICE), or
 * ERR_PROTOCOL when the body is not one; http_status and request id are
 * filled either way. No action prefix. */
int aws_error_from_response(const struct aws_call *call, const char *url,
                            const struct http_response *resp, struct err *err);
/* ERR_PROTOCOL: "expected <what> from <service> at <url>, got HTTP n with
 * <body description>". `detail` (may be NULL) says what was wrong. */
int aws_unexpected_answer(struct err *err, const struct aws_call *call, const char *url,
                          const struct http_response *resp, const char *expected,
                          const char *detail);
/* The request id in x-amzn-requestid / x-amz-request-id, or NULL. */
const char *aws_header_request_id(const struct http_headers *h);
/* A short printable excerpt of a body: control and non-ASCII bytes shown as
 * '.', whitespace collapsed, at most `cap - 1` bytes with "..." when cut. */
void aws_body_excerpt(const char *data, size_t len, char *out, size_t cap);

/* retry.c */
double aws_retry_backoff_s(struct aws_client *c, int attempts_made);
/* Sleeps through retry.sleep_ms or nanosleep; -1 with ERR_INTERRUPTED when
 * *interrupted becomes non-zero. */
int aws_retry_sleep(struct aws_client *c, double seconds, struct err *err);
/* Takes the cost of retrying after `e` from the quota; returns it, or 0 when
 * the quota cannot pay (no retry then). */
int aws_retry_quota_acquire(struct aws_client *c, const struct err *e);
void aws_retry_quota_release(struct aws_client *c, int amount);

/* redact.c: copies of bodies safe to log at LOG_TRACE. */
char *aws_redact_form(const char *body, size_t len);
/* *out_len (may be NULL): the copy's length, NULs included. */
char *aws_redact_xml(const char *body, size_t len, size_t *out_len);
char *aws_redact_json(const char *body, size_t len);
/* Both textual passes (XML elements, JSON string fields), for text of
 * unknown shape: the excerpts of unexpected answers in error messages. */
char *aws_redact_text(const char *body, size_t len, size_t *out_len);

#endif
