/* Classification of one HTTP answer (aws_answer_classify): the Query and
 * JSON 1.1 readers of 2xx answers, the AWS error parsers (ErrorResponse,
 * EC2's Response/Errors, JSON __type) and the "unexpected answer" messages,
 * with the header lines going through http_headers_parse_line as libcurl
 * delivers them.
 *
 * Input: a first line "WIRE ACTION STATUS [PLANT]": WIRE "query" or
 * "json", the action the answer is for, the HTTP status, and where in the
 * body to plant a credential field (a byte offset; none without it); then
 * header lines as received, up to an empty line; the rest is the body.
 * Seeds (corpus/response/) are real moto answers in that form.
 *
 * Properties: OK only for 2xx with the right root element / a JSON object;
 * every error is ERR_SERVICE with a code of one word or ERR_PROTOCOL,
 * with a message, the answer's status and its request id header; and a
 * credential inside the answer never shows in the error text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client_impl.h"
#include "fuzz.h"
#include "util/log.h"

/* A credential as STS returns one; never registered with the log, as is
 * the case for new credentials while their answer is being read. */
#define PLANTED_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzzPLANTEDKEY"

static int parse_ok_query(void *ud, const struct http_response *resp, const char *url,
                          struct err *err)
{
    const struct aws_call *call = ud;
    struct xml_node *root;
    if (aws_query_read_result(call, url, resp, &root, err) != 0) {
        FUZZ_CHECK(root == NULL, "failed read left a tree");
        return -1;
    }
    size_t alen = strlen(call->action);
    FUZZ_CHECK(strncmp(root->name, call->action, alen) == 0 &&
                   strcmp(root->name + alen, "Response") == 0,
               "accepted root <%s> for %s", root->name, call->action);
    xml_free(root);
    return 0;
}

static int parse_ok_json(void *ud, const struct http_response *resp, const char *url,
                         struct err *err)
{
    const struct aws_call *call = ud;
    cJSON *doc;
    if (aws_json_read_result(call, url, resp, &doc, err) != 0) {
        FUZZ_CHECK(doc == NULL, "failed read left a document");
        return -1;
    }
    FUZZ_CHECK(cJSON_IsObject(doc), "accepted a JSON answer that is not an object");
    cJSON_Delete(doc);
    return 0;
}

/* An AWS error code: one word of printable ASCII. */
static int one_word(const char *s)
{
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
            return 0;
    return *s != '\0';
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_log();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    char *first = fuzz_line(&in);
    char wire[8] = "", action[128] = "";
    long status = 0, plant_at = -1;
    int fields = sscanf(first, "%7s %127s %ld %ld", wire, action, &status, &plant_at);
    free(first);
    if (fields < 3 || !action[0])
        return 0;
    int json = strcmp(wire, "json") == 0;
    int plant = fields == 4 && plant_at >= 0;

    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.status = status;
    for (;;) {
        char *line = fuzz_line(&in);
        size_t len = strlen(line);
        if (len == 0 || (len == 1 && line[0] == '\r')) {
            free(line);
            break;
        }
        http_headers_parse_line(&resp.headers, line, len);
        free(line);
    }
    for (size_t i = 0; i < resp.headers.n; i++)
        FUZZ_CHECK(resp.headers.v[i].name && resp.headers.v[i].value, "NULL header field");

    size_t body_len;
    char *body = fuzz_rest(&in, &body_len);
    if (plant) {
        /* Put a credential field at a place the input chooses. */
        const char *field = json ? "\"SecretAccessKey\": \"" PLANTED_SECRET "\""
                                 : "<SecretAccessKey>" PLANTED_SECRET "</SecretAccessKey>";
        size_t at = (size_t)plant_at < body_len ? (size_t)plant_at : body_len;
        buf_append(&resp.body, body, at);
        buf_puts(&resp.body, field);
        buf_append(&resp.body, body + at, body_len - at);
    } else if (body_len) {
        buf_append(&resp.body, body, body_len);
    }
    /* Windows of the credential the input itself holds (in a header, say)
     * are fair to show. */
    const char *secret = PLANTED_SECRET;
    char shown_ok[sizeof(PLANTED_SECRET)] = {0};
    for (size_t i = 0; plant && i + 12 <= strlen(secret); i++)
        shown_ok[i] = (char)fuzz_contains((const char *)data, size, secret + i, 12);
    free(body);

    struct aws_call call;
    memset(&call, 0, sizeof(call));
    call.action = action;
    if (json) {
        call.svc = &AWS_SVC_ECS;
        call.wire = AWS_WIRE_JSON;
        call.parse_ok = parse_ok_json;
    } else {
        call.svc = &AWS_SVC_STS;
        call.wire = AWS_WIRE_QUERY;
        call.parse_ok = parse_ok_query;
    }
    call.parse_ud = &call;

    struct err e;
    err_clear(&e);
    const char *url = "https://service.us-east-1.amazonaws.com/";
    enum aws_answer a = aws_answer_classify(&call, url, &resp, &e);
    int is_2xx = status >= 200 && status < 300;
    if (a == AWS_ANSWER_OK) {
        FUZZ_CHECK(is_2xx, "HTTP %ld accepted as a result", status);
    } else {
        FUZZ_CHECK(is_2xx == (a == AWS_ANSWER_UNREADABLE), "HTTP %ld classified as %d", status,
                   (int)a);
        FUZZ_CHECK(e.kind == ERR_SERVICE || e.kind == ERR_PROTOCOL, "error kind %d", (int)e.kind);
        FUZZ_CHECK(a == AWS_ANSWER_ERROR || e.kind == ERR_PROTOCOL, "unreadable 2xx not PROTOCOL");
        FUZZ_CHECK(memchr(e.message, 0, sizeof(e.message)) && memchr(e.code, 0, sizeof(e.code)) &&
                       memchr(e.request_id, 0, sizeof(e.request_id)),
                   "unterminated error field");
        if (e.kind == ERR_SERVICE)
            FUZZ_CHECK(one_word(e.code), "service error code '%s' is not one word", e.code);
        else
            FUZZ_CHECK(e.message[0], "protocol error without a message");
        FUZZ_CHECK(e.http_status == status, "error HTTP %ld for answer HTTP %ld", e.http_status,
                   status);
        const char *id = aws_header_request_id(&resp.headers);
        if (id)
            FUZZ_CHECK(strncmp(e.request_id, id, sizeof(e.request_id) - 1) == 0,
                       "request id '%s', header says '%s'", e.request_id, id);
        struct buf text = BUF_INIT;
        err_format(&e, &text);
        /* No 12-byte window of the credential may show. */
        for (size_t i = 0; plant && i + 12 <= strlen(secret); i++)
            FUZZ_CHECK(shown_ok[i] || !fuzz_contains(buf_cstr(&text), text.len, secret + i, 12),
                       "the error shows part of a credential from the answer: %s", text.data);
        buf_free(&text);
    }
    http_response_free(&resp);
    return 0;
}
