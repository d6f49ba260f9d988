#include "cli/setup.h"

#include <stdlib.h>
#include <string.h>

#include "aws/config.h"
#include "svc/sts.h"
#include "util/mem.h"

int cli_aws_open(struct cli_aws *a, const struct cli_options *o, int default_max_attempts,
                 const volatile sig_atomic_t *interrupted, struct err *err)
{
    memset(a, 0, sizeof(*a));
    char *region = NULL;
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
    const char *env = getenv("AWS_MAX_ATTEMPTS");
    if ((!env || !*env) && default_max_attempts > 0)
        a->client.retry.max_attempts = default_max_attempts;
    a->open = 1;
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
    memset(a, 0, sizeof(*a));
}
