/* A client wired to a moto_server, and terse setup calls for the service
 * integration tests (test_svc_moto_*.c). */
#ifndef ECSR_TEST_SVC_MOTO_ENV_H
#define ECSR_TEST_SVC_MOTO_ENV_H

#include <cjson/cJSON.h>

#include "aws/client.h"
#include "moto.h"

struct moto_env {
    struct moto *moto; /* borrowed */
    struct http_client *http;
    struct cred_provider *creds;
    struct aws_client c;
};

/* A client for moto in us-east-1 signing with these keys. 0, or -1 after
 * recording a test failure. */
int moto_env_open(struct moto_env *e, struct moto *m, const char *access_key_id,
                  const char *secret_access_key);
void moto_env_close(struct moto_env *e);

/* A setup call that must succeed: Query protocol with "key", "value", ...,
 * NULL pairs (values may be printf-formatted through moto_fmt). Returns the
 * response root (free with xml_free), or NULL after recording a failure. */
struct xml_node *moto_query(struct moto_env *e, const struct aws_service *svc, const char *action,
                            const char *version, ...);
/* A JSON 1.1 ECS setup call; the request is printf-formatted JSON. Returns the
 * response (free with cJSON_Delete), or NULL after recording a failure. */
cJSON *moto_ecs(struct moto_env *e, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A formatted string from a small ring of static buffers, for moto_query
 * values. */
const char *moto_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* API calls made through the client so far (batch and page counting). */
unsigned long moto_calls(const struct moto_env *e);

#endif
