/* PENDING (not built while in tests/c/pending/): moto's authentication
 * layer answers Query calls with <ErrorResponse><Errors><Error>, a shape
 * botocore accepts and aws/aws_error.c does not yet (it reads only
 * <ErrorResponse><Error> and <Response><Errors><Error>), so every refusal
 * below comes out as a protocol error ("an HTML page means something other
 * than AWS answered") instead of AccessDenied / SignatureDoesNotMatch /
 * InvalidClientTokenId. With that shape accepted in core, this passes as it
 * is (checked under both builds); then move it to tests/c/.
 *
 * The service calls against a moto_server that authenticates requests
 * (INITIAL_NO_AUTH_ACTION_COUNT): an IAM user with a policy and an access
 * key made in moto; signed with that key the calls succeed, beyond the
 * policy they are denied, and with a wrong secret or key id they are refused
 * with AWS's error, which err_format renders clearly. */
#include <stdlib.h>
#include <string.h>

#include "moto.h"
#include "svc/autoscaling.h"
#include "svc/ec2.h"
#include "svc/ecs.h"
#include "svc_moto_env.h"
#include "test.h"
#include "util/buf.h"

/* Unauthenticated setup calls: CreateUser, PutUserPolicy, CreateAccessKey,
 * CreateCluster. Every later request is checked. */
#define SETUP_CALLS 4

static const struct aws_service IAM = {"IAM", "iam", "iam", "IAM", 0, NULL};

static const char POLICY[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
    "\"autoscaling:Describe*\",\"ecs:Describe*\",\"ecs:List*\",\"ec2:Describe*\"],"
    "\"Resource\":\"*\"}]}";

struct auth_moto {
    struct moto *moto;
    char *key_id;
    char *secret;
};

static int start(struct auth_moto *a)
{
    memset(a, 0, sizeof(*a));
    const char *env[] = {"INITIAL_NO_AUTH_ACTION_COUNT="
                         "4",
                         NULL};
    _Static_assert(SETUP_CALLS == 4, "keep INITIAL_NO_AUTH_ACTION_COUNT in step");
    struct moto_options opts = {env};
    a->moto = moto_start(&opts);
    if (!a->moto)
        return -1;
    struct moto_env e;
    if (moto_env_open(&e, a->moto, "AKIDSETUP0000000000", "setup-secret") < 0)
        return -1;
    int rc = -1;
    struct xml_node *r =
        moto_query(&e, &IAM, "CreateUser", "2010-05-08", "UserName", "roller", NULL);
    xml_free(r);
    if (!r)
        goto out;
    r = moto_query(&e, &IAM, "PutUserPolicy", "2010-05-08", "UserName", "roller", "PolicyName",
                   "rollout", "PolicyDocument", POLICY, NULL);
    xml_free(r);
    if (!r)
        goto out;
    r = moto_query(&e, &IAM, "CreateAccessKey", "2010-05-08", "UserName", "roller", NULL);
    if (!r)
        goto out;
    const struct xml_node *res = xml_child(r, "CreateAccessKeyResult");
    const struct xml_node *key = res ? xml_child(res, "AccessKey") : NULL;
    const struct xml_node *id = key ? xml_child(key, "AccessKeyId") : NULL;
    const struct xml_node *secret = key ? xml_child(key, "SecretAccessKey") : NULL;
    if (id && secret) {
        a->key_id = strdup(id->text);
        a->secret = strdup(secret->text);
    }
    xml_free(r);
    if (!a->key_id) {
        test_fail(__FILE__, __LINE__, "CreateAccessKey answered no key");
        goto out;
    }
    cJSON *j = moto_ecs(&e, "CreateCluster", "{\"clusterName\":\"prod\"}");
    cJSON_Delete(j);
    rc = j ? 0 : -1;
out:
    moto_env_close(&e);
    return rc;
}

static void stop(struct auth_moto *a)
{
    moto_stop(a->moto);
    free(a->key_id);
    free(a->secret);
}

static char *formatted(const struct err *err)
{
    struct buf b = BUF_INIT;
    err_format(err, &b);
    return buf_steal(&b);
}

TEST(signed_calls_are_authenticated_and_authorized)
{
    struct auth_moto a;
    if (start(&a) < 0) {
        stop(&a);
        return;
    }
    struct moto_env e;
    if (moto_env_open(&e, a.moto, a.key_id, a.secret) < 0) {
        stop(&a);
        return;
    }
    struct err err;
    struct asg_group *groups;
    size_t n;
    int rc = asg_describe_groups(&e.c, NULL, 0, &groups, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 0);
    asg_groups_free(groups, n);
    struct ecs_cluster cl;
    rc = ecs_describe_cluster(&e.c, "prod", &cl, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(cl.name, "prod");
    ecs_cluster_free(&cl);
    struct strv arns = STRV_INIT;
    CHECK_INT(ecs_list_container_instances(&e.c, "prod", NULL, NULL, &arns, &err), 0);
    CHECK_INT(arns.n, 0);
    const char *ids[] = {"i-0123456789abcdef0"};
    struct ec2_instance *v;
    rc = ec2_describe_instances(&e.c, ids, 1, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 0);
    ec2_instances_free(v, n);

    /* Outside the policy: denied, with AWS's code and the action named. */
    rc = asg_set_desired_capacity(&e.c, "web", 2, &err);
    CHECK_INT(rc, -1);
    CHECK_MSG(err.kind == ERR_SERVICE, "%s error: %s", err_kind_name(err.kind), err.message);
    CHECK_STR(err.code, "AccessDenied");
    CHECK_INT(err.http_status, 403);
    char *text = formatted(&err);
    CHECK_CONTAINS(text, "AccessDenied: SetDesiredCapacity");
    CHECK_CONTAINS(text, "not authorized to perform: autoscaling:SetDesiredCapacity");
    free(text);
    moto_env_close(&e);
    stop(&a);
}

TEST(a_wrong_secret_or_key_is_refused_with_aws_error)
{
    struct auth_moto a;
    if (start(&a) < 0) {
        stop(&a);
        return;
    }
    static const char wrong_secret[] = "NotTheSecret/But+Looks/Like0ne1234567890";
    struct moto_env e;
    if (moto_env_open(&e, a.moto, a.key_id, wrong_secret) < 0) {
        stop(&a);
        return;
    }
    struct err err;
    struct asg_group *groups;
    size_t n;
    CHECK_INT(asg_describe_groups(&e.c, NULL, 0, &groups, &n, &err), -1);
    CHECK_MSG(err.kind == ERR_SERVICE, "%s error: %s", err_kind_name(err.kind), err.message);
    CHECK_STR(err.code, "SignatureDoesNotMatch");
    CHECK_INT(err.http_status, 403);
    char *text = formatted(&err);
    CHECK_CONTAINS(text, "SignatureDoesNotMatch: DescribeAutoScalingGroups: The request "
                         "signature we calculated does not match the signature you provided.");
    CHECK_CONTAINS(text, "(HTTP 403");
    CHECK(strstr(text, wrong_secret) == NULL);
    free(text);

    struct ec2_instance *v;
    const char *ids[] = {"i-0123456789abcdef0"};
    CHECK_INT(ec2_describe_instances(&e.c, ids, 1, &v, &n, &err), -1);
    CHECK_MSG(err.kind == ERR_SERVICE, "%s error: %s", err_kind_name(err.kind), err.message);
    CHECK_STR(err.code, "AuthFailure");
    text = formatted(&err);
    CHECK_CONTAINS(text, "AuthFailure: DescribeInstances: AWS was not able to validate the "
                         "provided access credentials");
    free(text);

    /* moto answers ECS (JSON 1.1) with the same XML document, where AWS
     * sends JSON; the code at least shows in the message. */
    struct ecs_cluster cl;
    CHECK_INT(ecs_describe_cluster(&e.c, "prod", &cl, &err), -1);
    CHECK_INT(err.http_status, 403);
    text = formatted(&err);
    CHECK_CONTAINS(text, "DescribeClusters");
    CHECK_CONTAINS(text, "SignatureDoesNotMatch");
    CHECK(strstr(text, wrong_secret) == NULL);
    free(text);
    moto_env_close(&e);

    /* A key id moto never issued. */
    if (moto_env_open(&e, a.moto, "AKIA0000000000000000", a.secret) < 0) {
        stop(&a);
        return;
    }
    CHECK_INT(asg_describe_groups(&e.c, NULL, 0, &groups, &n, &err), -1);
    CHECK_MSG(err.kind == ERR_SERVICE, "%s error: %s", err_kind_name(err.kind), err.message);
    CHECK_STR(err.code, "InvalidClientTokenId");
    text = formatted(&err);
    CHECK_CONTAINS(text, "InvalidClientTokenId: DescribeAutoScalingGroups: The security token "
                         "included in the request is invalid.");
    CHECK(strstr(text, a.secret) == NULL);
    free(text);
    moto_env_close(&e);
    stop(&a);
}
