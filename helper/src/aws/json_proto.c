/* The JSON 1.1 protocol (ECS): POST "/" with X-Amz-Target and a JSON
 * object both ways. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client_impl.h"
#include "util/buf.h"
#include "util/mem.h"

struct json_parse {
    const struct aws_call *call;
    cJSON *doc;
};

int aws_json_read_result(const struct aws_call *call, const char *url,
                         const struct http_response *resp, cJSON **out, struct err *err)
{
    *out = NULL;
    if (resp->body.len == 0) {
        /* Actions without output answer with an empty body or "{}". */
        *out = cJSON_CreateObject();
        return 0;
    }
    int too_big = 0;
    cJSON *doc = json_parse_limited(resp->body.data, resp->body.len,
                                    aws_max_json_tree_bytes(call->svc), NULL, 0, &too_big);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return aws_unexpected_answer(err, call, url, resp, "a JSON object",
                                     too_big ? AWS_JSON_TOO_BIG
                                             : "not a JSON object, or truncated");
    }
    *out = doc;
    return 0;
}

static int parse_json_ok(void *ud, const struct http_response *resp, const char *url,
                         struct err *err)
{
    struct json_parse *jp = ud;
    return aws_json_read_result(jp->call, url, resp, &jp->doc, err);
}

int aws_json_call(struct aws_client *c, const struct aws_service *svc, const char *target_prefix,
                  const char *action, const cJSON *request, cJSON **response, struct err *err)
{
    *response = NULL;
    char *printed = request ? cJSON_PrintUnformatted(request) : NULL;
    if (request && !printed)
        return err_set(err, ERR_INTERNAL, "%s: cannot serialise the request", action);
    char *body = xstrdup(printed ? printed : "{}");
    cJSON_free(printed);
    struct buf target = BUF_INIT;
    buf_printf(&target, "%s.%s", target_prefix, action);
    struct aws_call call = {
        .svc = svc,
        .action = action,
        .wire = AWS_WIRE_JSON,
        .content_type = "application/x-amz-json-1.1",
        .target = target.data,
        .body = body,
        .body_len = strlen(body),
        .parse_ok = parse_json_ok,
    };
    struct json_parse jp = {.call = &call};
    call.parse_ud = &jp;
    int rc = aws_call_perform(c, &call, err);
    free(body);
    buf_free(&target);
    if (rc == 0)
        *response = jp.doc;
    return rc;
}
