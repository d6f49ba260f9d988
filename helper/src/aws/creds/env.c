/* Credentials from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * and AWS_SESSION_TOKEN (older tools' AWS_ACCESS_KEY, AWS_SECRET_KEY and
 * AWS_SECURITY_TOKEN are read when the current names are unset). */
#include <stdlib.h>

#include "aws/creds/providers.h"
#include "util/buf.h"
#include "util/mem.h"

static const char *first_env(const char *name, const char *legacy, const char **which)
{
    const char *v = cred_getenv(name);
    *which = name;
    if (!v && legacy && (v = cred_getenv(legacy)) != NULL)
        *which = legacy;
    return v;
}

static int env_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                   struct err *err)
{
    (void)self;
    const char *id_name, *secret_name, *token_name;
    const char *id = first_env("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", &id_name);
    const char *secret = first_env("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", &secret_name);
    const char *token = first_env("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", &token_name);
    if (!id && !secret)
        return cred_absent(absent, err,
                           "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    if (!secret)
        return err_set(err, ERR_CREDENTIALS,
                       "environment: %s is set but AWS_SECRET_ACCESS_KEY is not; set both, or "
                       "unset %s to use another credential source",
                       id_name, id_name);
    if (!id)
        return err_set(err, ERR_CREDENTIALS,
                       "environment: %s is set but AWS_ACCESS_KEY_ID is not; set both, or unset "
                       "%s to use another credential source",
                       secret_name, secret_name);
    const char *names[] = {id_name, secret_name, token_name};
    const char *values[] = {id, secret, token};
    for (size_t i = 0; i < 3; i++)
        if (text_has_control(values[i]))
            return err_set(err, ERR_CREDENTIALS,
                           "environment: %s holds a line break or another control character, "
                           "which no AWS credential has (the value is not shown)",
                           names[i]);
    out->access_key_id = xstrdup(id);
    out->secret_access_key = xstrdup(secret);
    out->session_token = xstrdup(token);
    out->source = xstrdup("environment");
    return 0;
}

static void env_destroy(struct cred_provider *self)
{
    free(self);
}

struct cred_provider *cred_env_new(void)
{
    struct cred_provider *p = xcalloc(1, sizeof(*p));
    p->name = "environment";
    p->get = env_get;
    p->destroy = env_destroy;
    return p;
}
