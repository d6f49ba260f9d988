/* Credentials values and the provider interface; the providers themselves
 * live in aws/creds/. */
#include "aws/creds.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

void aws_credentials_free(struct aws_credentials *c)
{
    if (!c)
        return;
    free(c->access_key_id);
    free_secret(c->secret_access_key);
    free_secret(c->session_token);
    free(c->source);
    memset(c, 0, sizeof(*c));
}

void aws_credentials_copy(struct aws_credentials *dst, const struct aws_credentials *src)
{
    dst->access_key_id = xstrdup(src->access_key_id);
    dst->secret_access_key = xstrdup(src->secret_access_key);
    dst->session_token = xstrdup(src->session_token);
    dst->expiration = src->expiration;
    dst->source = xstrdup(src->source);
}

int cred_provider_get(struct cred_provider *p, struct aws_credentials *out, struct err *err)
{
    int absent = 0;
    return cred_provider_try(p, out, &absent, err);
}

int cred_provider_try(struct cred_provider *p, struct aws_credentials *out, int *absent,
                      struct err *err)
{
    *absent = 0;
    memset(out, 0, sizeof(*out));
    if (p->get(p, out, absent, err) != 0) {
        aws_credentials_free(out);
        return -1;
    }
    *absent = 0;
    if (!out->access_key_id || !*out->access_key_id || !out->secret_access_key ||
        !*out->secret_access_key) {
        aws_credentials_free(out);
        return err_set(err, ERR_CREDENTIALS,
                       "credential source '%s' returned no access key id or secret key", p->name);
    }
    log_add_secret(out->secret_access_key);
    log_add_secret(out->session_token);
    if (!out->source)
        out->source = xstrdup(p->name);
    /* They go into the Authorization and X-Amz-Security-Token headers: a
     * line break there would forge headers. Named, never shown. */
    const char *bad = text_has_control(out->access_key_id)       ? "access key id"
                      : text_has_control(out->secret_access_key) ? "secret access key"
                      : text_has_control(out->session_token)     ? "session token"
                                                                 : NULL;
    if (bad) {
        err_set(err, ERR_CREDENTIALS,
                "the %s from %s holds a line break or another control character, which no AWS "
                "credential has; check what produces it (the value is not shown)",
                bad, out->source);
        aws_credentials_free(out);
        return -1;
    }
    return 0;
}

void cred_provider_free(struct cred_provider *p)
{
    if (p && p->destroy)
        p->destroy(p);
}

struct static_provider {
    struct cred_provider base;
    struct aws_credentials creds;
};

static int static_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                      struct err *err)
{
    (void)err;
    struct static_provider *sp = (struct static_provider *)self;
    *absent = 0;
    aws_credentials_copy(out, &sp->creds);
    return 0;
}

static void static_destroy(struct cred_provider *self)
{
    struct static_provider *sp = (struct static_provider *)self;
    aws_credentials_free(&sp->creds);
    free(sp);
}

struct cred_provider *cred_static_new(const char *access_key_id, const char *secret_access_key,
                                      const char *session_token)
{
    struct static_provider *sp = xcalloc(1, sizeof(*sp));
    sp->base.name = "static";
    sp->base.get = static_get;
    sp->base.destroy = static_destroy;
    sp->creds.access_key_id = xstrdup(access_key_id);
    sp->creds.secret_access_key = xstrdup(secret_access_key);
    sp->creds.session_token = xstrdup(session_token);
    sp->creds.source = xstrdup("static");
    log_add_secret(secret_access_key);
    log_add_secret(session_token);
    return &sp->base;
}
