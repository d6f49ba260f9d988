/* The Query protocol (Auto Scaling, STS, EC2): a form-encoded POST to "/"
 * and an XML answer <ActionResponse>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client_impl.h"
#include "util/buf.h"

/* RFC 3986: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded (spaces
 * as %20, never '+'), which is also what SigV4 expects. */
static void form_encode(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            buf_putc(out, (char)ch);
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            buf_append(out, esc, 3);
        }
    }
}

struct query_parse {
    const struct aws_call *call;
    struct xml_node *root;
};

int aws_query_read_result(const struct aws_call *call, const char *url,
                          const struct http_response *resp, struct xml_node **out, struct err *err)
{
    *out = NULL;
    char expected[192];
    snprintf(expected, sizeof(expected), "an XML <%sResponse> document", call->action);
    if (resp->body.len == 0)
        return aws_unexpected_answer(err, call, url, resp, expected, NULL);
    struct xml_node *root;
    struct err perr;
    if (xml_parse_limited(resp->body.data, resp->body.len, aws_max_xml_tree_bytes(call->svc), &root,
                          &perr) != 0)
        return aws_unexpected_answer(err, call, url, resp, expected, perr.message);
    size_t alen = strlen(call->action);
    if (strncmp(root->name, call->action, alen) != 0 ||
        strcmp(root->name + alen, "Response") != 0) {
        char detail[192];
        snprintf(detail, sizeof(detail), "the root element is <%s>", root->name);
        xml_free(root);
        return aws_unexpected_answer(err, call, url, resp, expected, detail);
    }
    *out = root;
    return 0;
}

static int parse_query_ok(void *ud, const struct http_response *resp, const char *url,
                          struct err *err)
{
    struct query_parse *qp = ud;
    return aws_query_read_result(qp->call, url, resp, &qp->root, err);
}

int aws_query_call(struct aws_client *c, const struct aws_service *svc, const char *action,
                   const char *version, const struct aws_params *params, int flags,
                   struct xml_node **result, struct err *err)
{
    *result = NULL;
    struct buf body = BUF_INIT;
    buf_puts(&body, "Action=");
    form_encode(&body, action);
    buf_puts(&body, "&Version=");
    form_encode(&body, version);
    for (size_t i = 0; params && i < params->keys.n; i++) {
        buf_putc(&body, '&');
        form_encode(&body, params->keys.v[i]);
        buf_putc(&body, '=');
        form_encode(&body, params->values.v[i]);
    }
    struct aws_call call = {
        .svc = svc,
        .action = action,
        .wire = AWS_WIRE_QUERY,
        .content_type = "application/x-www-form-urlencoded; charset=utf-8",
        .body = body.data,
        .body_len = body.len,
        .unsigned_call = (flags & AWS_CALL_UNSIGNED) != 0,
        .secret_body = (flags & AWS_CALL_SECRET_BODY) != 0,
        .parse_ok = parse_query_ok,
    };
    struct query_parse qp = {.call = &call};
    call.parse_ud = &qp;
    int rc = aws_call_perform(c, &call, err);
    /* The body may carry a web identity token. */
    buf_free_secret(&body);
    if (rc == 0)
        *result = qp.root;
    return rc;
}
