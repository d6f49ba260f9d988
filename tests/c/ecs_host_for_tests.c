/* The unit tests' cred_ecs_relative_base (see aws/creds/ecs_host.c): a
 * loopback server named by ECS_ROLLOUT_TEST_CONTAINER_HOST stands in for the ECS
 * agent. Linked into the test programs only, never into ecs-rollout. */
#include <stdlib.h>

#include "aws/creds/providers.h"

const char *cred_ecs_relative_base(void)
{
    const char *host = getenv("ECS_ROLLOUT_TEST_CONTAINER_HOST");
    return host && *host ? host : "http://169.254.170.2";
}
