/* Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI points: the ECS agent's
 * credentials endpoint (Amazon ECS Developer Guide, "Task IAM role"). Alone
 * in its file so that the unit tests link their own definition instead
 * (tests/c/ecs_host_for_tests.c; the linker then never takes this member of
 * libecsrollout.a): the shipped program has no setting that sends the
 * container's token to another host. */
#include "aws/creds/providers.h"

const char *cred_ecs_relative_base(void)
{
    return "http://169.254.170.2";
}
