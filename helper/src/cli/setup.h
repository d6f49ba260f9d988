/* Building the AWS client from the command line and the environment:
 * region, HTTP, the credential chain (with its STS calls) and retries. */
#ifndef ECSR_CLI_SETUP_H
#define ECSR_CLI_SETUP_H

#include <signal.h>

#include "aws/client.h"
#include "cli/options.h"

struct cli_aws {
    struct http_client *http;
    struct aws_client sts; /* for role assumption inside the credential chain */
    struct cred_sts_ops sts_ops;
    struct cred_provider *creds;
    struct aws_client client;
    struct aws_adaptive *adaptive; /* the client's rate limiters; NULL: standard mode */
    int open;
};

/* default_max_attempts applies when AWS_MAX_ATTEMPTS is not set (0: the
 * SDK default); default_adaptive (the adaptive retry mode, else standard)
 * when AWS_RETRY_MODE is not set. */
int cli_aws_open(struct cli_aws *a, const struct cli_options *o, int default_max_attempts,
                 int default_adaptive, const volatile sig_atomic_t *interrupted, struct err *err);
void cli_aws_close(struct cli_aws *a);

#endif
