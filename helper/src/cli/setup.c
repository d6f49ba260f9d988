#include "cli/setup.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/adaptive.h"
#include "aws/config.h"
#include "svc/sts.h"
#include "util/mem.h"

static int allow_plain_http(const struct cli_options *o)
{
    const char *v = getenv("ECS_ROLLOUT_ALLOW_PLAIN_HTTP");
    return o->allow_plain_http || (v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0));
}

int cli_aws_open(struct cli_aws *a, const struct cli_options *o, int default_max_attempts,
                 int default_adaptive, const volatile sig_atomic_t *interrupted, struct err *err)
{
    memset(a, 0, sizeof(*a));
    char *region = NULL;
    aws_profile_warn_ambiguous(o->profile);
    if (aws_resolve_region(o->region, o->profile, &region, err) != 0)
        return -1;
    struct http_options hopts;
    memset(&hopts, 0, sizeof(hopts));
    /* A stop request ends a request under way, not only a wait. */
    hopts.interrupted = interrupted;
    a->http = http_client_new(&hopts, err);
    if (!a->http) {
        free(region);
        return -1;
    }
    /* The credential chain assumes roles through its own STS client, which
     * signs with the source credentials the chain hands it. */
    aws_client_init(&a->sts, a->http, NULL, region, o->endpoint_url);
    a->sts.interrupted = interrupted;
    a->sts.allow_plain_http = allow_plain_http(o);
    sts_cred_ops(&a->sts, &a->sts_ops);
    struct cred_chain_options copts;
    memset(&copts, 0, sizeof(copts));
    copts.profile = o->profile;
    copts.http = a->http;
    copts.sts = &a->sts_ops;
    a->creds = cred_default_chain_new(&copts, err);
    if (!a->creds) {
        free(region);
        cli_aws_close(a);
        return -1;
    }
    aws_client_init(&a->client, a->http, a->creds, region, o->endpoint_url);
    free(region);
    a->client.interrupted = interrupted;
    a->client.allow_plain_http = allow_plain_http(o);
    /* A plain-http endpoint is refused before anything is sent (STS only
     * when a credential source calls it); a missing region is reported by
     * the first call, as before. */
    const struct aws_service *used[] = {&AWS_SVC_AUTOSCALING, &AWS_SVC_ECS, &AWS_SVC_EC2};
    for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
        char *url;
        const char *source;
        struct err ignored;
        if (aws_endpoint_resolve(&a->client, used[i], &url, &source, &ignored) != 0)
            continue;
        int rc = aws_endpoint_transport_check(&a->client, used[i], NULL, url, source, 0, err);
        free(url);
        if (rc != 0) {
            a->open = 1;
            cli_aws_close(a);
            return -1;
        }
    }
    const char *env = getenv("AWS_MAX_ATTEMPTS");
    if ((!env || !*env) && default_max_attempts > 0)
        a->client.retry.max_attempts = default_max_attempts;
    a->open = 1;
    int adaptive;
    if (aws_retry_mode_adaptive(default_adaptive, &adaptive, err) != 0) {
        cli_aws_close(a);
        return -1;
    }
    if (adaptive) {
        a->adaptive = aws_adaptive_new();
        a->client.adaptive = a->adaptive;
    }
    return 0;
}

void cli_aws_close(struct cli_aws *a)
{
    if (a->open)
        aws_client_cleanup(&a->client);
    /* The chain borrows the STS client: free it first. */
    cred_provider_free(a->creds);
    aws_client_cleanup(&a->sts);
    http_client_free(a->http);
    aws_adaptive_free(a->adaptive);
    memset(a, 0, sizeof(*a));
}
