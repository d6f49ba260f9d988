#include "svc_moto_env.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "util/buf.h"

int moto_env_open(struct moto_env *e, struct moto *m, const char *access_key_id,
                  const char *secret_access_key)
{
    memset(e, 0, sizeof(*e));
    e->moto = m;
    struct http_options opts = {0};
    struct err err;
    e->http = http_client_new(&opts, &err);
    if (!e->http) {
        test_fail(__FILE__, __LINE__, "http_client_new: %s", err.message);
        return -1;
    }
    e->creds = cred_static_new(access_key_id, secret_access_key, NULL);
    aws_client_init(&e->c, e->http, e->creds, "us-east-1", moto_url(m));
    return 0;
}

void moto_env_close(struct moto_env *e)
{
    if (e->http) {
        aws_client_cleanup(&e->c);
        cred_provider_free(e->creds);
        http_client_free(e->http);
    }
    memset(e, 0, sizeof(*e));
}

struct xml_node *moto_query(struct moto_env *e, const struct aws_service *svc, const char *action,
                            const char *version, ...)
{
    struct aws_params params = AWS_PARAMS_INIT;
    va_list ap;
    va_start(ap, version);
    for (;;) {
        const char *key = va_arg(ap, const char *);
        if (!key)
            break;
        aws_params_add(&params, key, va_arg(ap, const char *));
    }
    va_end(ap);
    struct xml_node *root = NULL;
    struct err err;
    int rc = aws_query_call(&e->c, svc, action, version, &params, 0, &root, &err);
    aws_params_free(&params);
    if (rc < 0) {
        struct buf msg = BUF_INIT;
        err_format(&err, &msg);
        test_fail(__FILE__, __LINE__, "setup call %s failed: %s", action, buf_cstr(&msg));
        buf_free(&msg);
        return NULL;
    }
    return root;
}

cJSON *moto_ecs(struct moto_env *e, const char *action, const char *fmt, ...)
{
    struct buf text = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&text, fmt, ap);
    va_end(ap);
    cJSON *req = cJSON_Parse(buf_cstr(&text));
    if (!req) {
        test_fail(__FILE__, __LINE__, "setup call %s: request is not JSON: %s", action,
                  buf_cstr(&text));
        buf_free(&text);
        return NULL;
    }
    buf_free(&text);
    cJSON *resp = NULL;
    struct err err;
    int rc = aws_json_call(&e->c, &AWS_SVC_ECS, "AmazonEC2ContainerServiceV20141113", action, req,
                           &resp, &err);
    cJSON_Delete(req);
    if (rc < 0) {
        struct buf msg = BUF_INIT;
        err_format(&err, &msg);
        test_fail(__FILE__, __LINE__, "setup call %s failed: %s", action, buf_cstr(&msg));
        buf_free(&msg);
        return NULL;
    }
    return resp;
}

const char *moto_fmt(const char *fmt, ...)
{
    static char ring[16][512];
    static unsigned next;
    char *out = ring[next++ % 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, sizeof(ring[0]), fmt, ap);
    va_end(ap);
    return out;
}

unsigned long moto_calls(const struct moto_env *e)
{
    return e->c.stats.calls;
}
