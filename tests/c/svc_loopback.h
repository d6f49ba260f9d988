/* A loopback server playing AWS for the service-call tests
 * (test_svc_calls_*.c), with a client pointed at it and helpers to read
 * what the client sent. */
#ifndef ECSR_TEST_SVC_LOOPBACK_H
#define ECSR_TEST_SVC_LOOPBACK_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws/client.h"
#include "loopback.h"

struct svc_lb {
    struct loopback *lb;
    struct http_client *http;
    struct cred_provider *creds;
    struct aws_client c;
};

/* Server, HTTP client, static credentials and an aws_client making one
 * attempt per call (each scripted answer is used once). 0, or -1 after
 * recording a test failure. */
int svc_lb_start(struct svc_lb *e);
void svc_lb_stop(struct svc_lb *e);

/* The i-th request the server received. */
const struct loopback_request *svc_lb_request(struct svc_lb *e, size_t i);
/* Its body parsed as JSON (free with cJSON_Delete), or NULL. */
cJSON *svc_lb_request_json(struct svc_lb *e, size_t i);
/* Its X-Amz-Target header, "" when absent. */
const char *svc_lb_target(const struct loopback_request *req);
/* The size of the array `key` in its JSON body. */
size_t svc_lb_list_size(struct svc_lb *e, size_t i, const char *key);

/* Form bodies (Query protocol): the decoded value of `key` (new string) or
 * NULL; whether it equals `value`; whether it is present. */
char *svc_lb_form_get(const char *body, const char *key);
int svc_lb_form_is(const struct loopback_request *req, const char *key, const char *value);
int svc_lb_form_has(const struct loopback_request *req, const char *key);

/* A string member of a JSON object, or NULL. */
const char *svc_lb_json_str(const cJSON *o, const char *key);

/* n ids "PREFIX00000", "PREFIX00001", ... in one block (returned; free it
 * and *ids_out). */
char *svc_lb_ids(const char *prefix, size_t n, const char ***ids_out);

#define ASG_OK(action)                                                                             \
    "<" action "Response xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"              \
    "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></" action "Response>"
#define XML_HEADERS "Content-Type: text/xml\r\n"
#define JSON_HEADERS "Content-Type: application/x-amz-json-1.1\r\n"

#endif
