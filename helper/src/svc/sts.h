/* STS calls: who am I, and the role assumptions the credential providers use. */
#ifndef ECSR_SVC_STS_H
#define ECSR_SVC_STS_H

#include "aws/client.h"
#include "aws/creds.h"

struct sts_identity {
    char *account;
    char *arn;
    char *user_id;
};

int sts_get_caller_identity(struct aws_client *c, struct sts_identity *out, struct err *err);
void sts_identity_free(struct sts_identity *id);

/* AssumeRole, signed with `source`'s credentials. */
int sts_assume_role(struct aws_client *c, struct cred_provider *source,
                    const struct sts_role_request *req, struct aws_credentials *out,
                    struct err *err);
/* AssumeRoleWithWebIdentity (unsigned). */
int sts_assume_role_with_web_identity(struct aws_client *c, const struct sts_role_request *req,
                                      struct aws_credentials *out, struct err *err);

/* The Credentials of an AssumeRole / AssumeRoleWithWebIdentity answer
 * (root: <ActionResponse>), secrets registered for scrubbing; ERR_PROTOCOL
 * when one is missing or Expiration is no time. Exposed for fuzzing. */
int sts_parse_credentials(const struct xml_node *root, const char *action,
                          struct aws_credentials *out, struct err *err);

/* Operations for the credential chain, bound to `c` (borrowed: it must
 * outlive the chain). */
void sts_cred_ops(struct aws_client *c, struct cred_sts_ops *out);

#endif
