/* AWS errors in answers: the Query shapes (<ErrorResponse><Error>, EC2's
 * <Response><Errors><Error>) and the JSON 1.1 shape (__type, message), plus
 * clear errors for answers that are neither. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "aws/client_impl.h"
#include "aws/xml.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#define EXCERPT_BYTES 160
/* The excerpt comes from the start of the body; redacting more is waste. */
#define EXCERPT_SOURCE_MAX (64u * 1024u)

const char *aws_header_request_id(const struct http_headers *h)
{
    const char *id = http_headers_get(h, "x-amzn-RequestId");
    if (!id || !*id)
        id = http_headers_get(h, "x-amz-request-id");
    return id && *id ? id : NULL;
}

void aws_body_excerpt(const char *data, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    int space = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            space = o > 0;
            continue;
        }
        char put = (ch < 0x20 || ch >= 0x7f) ? '.' : (char)ch;
        if (o + (size_t)space + 1 + 3 >= cap) {
            /* No room for this character and "...". */
            memcpy(out + o, "...", 3);
            o += 3;
            out[o] = '\0';
            return;
        }
        if (space)
            out[o++] = ' ';
        space = 0;
        out[o++] = put;
    }
    out[o] = '\0';
}

static int looks_like_html(const struct http_response *resp)
{
    const char *ct = http_headers_get(&resp->headers, "Content-Type");
    if (ct && strncasecmp(ct, "text/html", 9) == 0)
        return 1;
    const char *b = buf_cstr(&resp->body);
    while (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')
        b++;
    return strncasecmp(b, "<!doctype html", 14) == 0 || strncasecmp(b, "<html", 5) == 0;
}

int aws_unexpected_answer(struct err *err, const struct aws_call *call, const char *url,
                          const struct http_response *resp, const char *expected,
                          const char *detail)
{
    /* The answer may carry credentials that are not registered as secrets
     * yet (an STS answer being read), so the excerpt comes from a redacted
     * copy. */
    char excerpt[EXCERPT_BYTES];
    size_t safe_len;
    char *safe = aws_redact_text(
        buf_cstr(&resp->body),
        resp->body.len < EXCERPT_SOURCE_MAX ? resp->body.len : EXCERPT_SOURCE_MAX, &safe_len);
    /* Secrets the program holds (a proxy echoing the request) are masked
     * before the excerpt is cut, and one cut at EXCERPT_SOURCE_MAX too. */
    log_scrub_cut(safe);
    safe_len = strlen(safe);
    aws_body_excerpt(safe, safe_len, excerpt, sizeof(excerpt));
    free(safe);
    const char *ct = http_headers_get(&resp->headers, "Content-Type");
    struct buf what = BUF_INIT;
    if (resp->body.len == 0) {
        buf_puts(&what, "an empty body");
    } else {
        buf_printf(&what, "%zu bytes%s%s", resp->body.len, ct ? " of " : "", ct ? ct : "");
        if (detail)
            buf_printf(&what, " (%s)", detail);
        buf_printf(&what, ": \"%s\"", excerpt);
    }
    int html = looks_like_html(resp);
    err_set(err, ERR_PROTOCOL, "expected %s from %s at %s, got HTTP %ld with %s%s", expected,
            call->svc->name, url, resp->status, what.data,
            html ? "; an HTML page means something other than AWS answered (a proxy, a captive "
                   "portal or a wrong endpoint URL)"
                 : "");
    buf_free(&what);
    err->http_status = resp->status;
    const char *id = aws_header_request_id(&resp->headers);
    if (id)
        snprintf(err->request_id, sizeof(err->request_id), "%s", id);
    return -1;
}

/* Copy with surrounding whitespace removed. */
static char *trim_dup(const char *s)
{
    if (!s)
        return NULL;
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

/* AWS error codes are one word of printable ASCII ("Throttling",
 * "InvalidInstanceID.NotFound") that fits struct err's code field; a cut
 * or spaced one would be no code the retry rules or a reader know. */
static int valid_code(const char *s, size_t n)
{
    if (n == 0 || n >= sizeof(((struct err *)0)->code))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

/* An AWS error message as shown: trimmed, and with any credential field
 * quoted inside it (XML or JSON text) redacted. NULL stays NULL. */
static char *message_dup(const char *s)
{
    char *t = trim_dup(s);
    if (!t)
        return NULL;
    size_t n;
    char *safe = aws_redact_text(t, strlen(t), &n);
    free(t);
    return safe;
}

static int query_error(const struct aws_call *call, const char *url,
                       const struct http_response *resp, struct err *err)
{
    const char *expected = "an AWS XML error document";
    if (resp->body.len == 0)
        return aws_unexpected_answer(err, call, url, resp, expected, NULL);
    struct xml_node *root;
    struct err perr;
    if (xml_parse_limited(resp->body.data, resp->body.len, aws_max_xml_tree_bytes(call->svc), &root,
                          &perr) != 0)
        return aws_unexpected_answer(err, call, url, resp, expected, perr.message);
    /* <ErrorResponse><Error>..</Error><RequestId/>, EC2's
     * <Response><Errors><Error>..</Error></Errors><RequestID/>, or a bare
     * <Error> as some endpoints send. */
    const struct xml_node *e = NULL;
    if (strcmp(root->name, "ErrorResponse") == 0) {
        e = xml_child(root, "Error");
        if (!e) /* <ErrorResponse><Errors><Error>: botocore accepts it too */
            e = xml_path(root, "Errors/Error");
    } else if (strcmp(root->name, "Response") == 0)
        e = xml_path(root, "Errors/Error");
    else if (strcmp(root->name, "Error") == 0)
        e = root;
    char *code = e ? trim_dup(xml_text(e, "Code")) : NULL;
    if (!code || !valid_code(code, strlen(code))) {
        char detail[160];
        snprintf(detail, sizeof(detail), "XML root <%s> holds no error code%s", root->name,
                 code && *code ? " that is one word" : "");
        free(code);
        xml_free(root);
        return aws_unexpected_answer(err, call, url, resp, expected, detail);
    }
    char *message = message_dup(xml_text(e, "Message"));
    const char *id = aws_header_request_id(&resp->headers);
    char *body_id = trim_dup(xml_text(root, "RequestId"));
    if (!body_id)
        body_id = trim_dup(xml_text(root, "RequestID"));
    if (!body_id)
        body_id = trim_dup(xml_text(e, "RequestId"));
    err_service(err, resp->status, code, message, id ? id : body_id);
    free(code);
    free(message);
    free(body_id);
    xml_free(root);
    return -1;
}

/* "aws.protocoltests#FooError:http://internal..." -> "FooError"; "" when
 * what is left is no error code. */
static void clean_json_code(const char *raw, char *out, size_t cap)
{
    const char *hash = strrchr(raw, '#');
    const char *s = hash ? hash + 1 : raw;
    size_t n = strcspn(s, ":");
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    while (n && isspace((unsigned char)*s))
        s++, n--;
    if (!valid_code(s, n))
        n = 0;
    snprintf(out, cap, "%.*s", (int)n, s);
}

static const char *json_string(const cJSON *obj, const char *const *keys)
{
    for (; *keys; keys++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, *keys);
        if (cJSON_IsString(v) && v->valuestring)
            return v->valuestring;
    }
    return NULL;
}

static int json_error(const struct aws_call *call, const char *url,
                      const struct http_response *resp, struct err *err)
{
    const char *expected = "an AWS JSON error document";
    int too_big = 0;
    cJSON *doc = resp->body.len
                     ? json_parse_limited(resp->body.data, resp->body.len,
                                          aws_max_json_tree_bytes(call->svc), NULL, 0, &too_big)
                     : NULL;
    if (resp->body.len && !cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return aws_unexpected_answer(err, call, url, resp, expected,
                                     too_big ? AWS_JSON_TOO_BIG
                                             : "not a JSON object, or truncated");
    }
    static const char *const code_keys[] = {"__type", "code", "Code", NULL};
    static const char *const message_keys[] = {"message", "Message", "errorMessage", NULL};
    const char *raw_code = doc ? json_string(doc, code_keys) : NULL;
    if (!raw_code || !*raw_code)
        raw_code = http_headers_get(&resp->headers, "x-amzn-ErrorType");
    char code[128] = "";
    if (raw_code)
        clean_json_code(raw_code, code, sizeof(code));
    if (!code[0]) {
        cJSON_Delete(doc);
        return aws_unexpected_answer(err, call, url, resp, expected,
                                     resp->body.len ? "no __type in the JSON" : NULL);
    }
    char *message = doc ? message_dup(json_string(doc, message_keys)) : NULL;
    err_service(err, resp->status, code, message, aws_header_request_id(&resp->headers));
    free(message);
    cJSON_Delete(doc);
    return -1;
}

/* Whether a body starts like an XML document. */
static int looks_like_xml(const struct http_response *resp)
{
    for (size_t i = 0; i < resp->body.len; i++) {
        if (isspace((unsigned char)resp->body.data[i]))
            continue;
        return resp->body.data[i] == '<' && resp->body.len > i + 1 &&
               resp->body.data[i + 1] != '!' && resp->body.data[i + 1] != 'h' &&
               resp->body.data[i + 1] != 'H';
    }
    return 0;
}

int aws_error_from_response(const struct aws_call *call, const char *url,
                            const struct http_response *resp, struct err *err)
{
    /* An authenticating front end may answer a JSON service with the XML
     * error document of the Query services (moto does, for AccessDenied);
     * read the code from it rather than calling it garbage. HTML pages
     * (<!DOCTYPE, <html) stay protocol errors. */
    if (call->wire == AWS_WIRE_JSON && !looks_like_xml(resp))
        return json_error(call, url, resp, err);
    return query_error(call, url, resp, err);
}
