/* role_arn with source_profile / credential_source, against a fake STS:
 * the parameters passed, chains of profiles, loops and every
 * misconfiguration, and STS errors (the real STS calls are in test_sts.c). */
#include <stdlib.h>

#include "aws/config.h"
#include "aws/creds.h"
#include "aws/creds/providers.h"
#include "test.h"
#include "test_creds_support.h"

#define SECRET_A "secretAAAAwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLE"
#define SECRET_B "secretBBBBwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLE"

/* ---- role_arn --------------------------------------------------------- */

#define ROLE_CONFIG                                                                                \
    "[profile deploy]\n"                                                                           \
    "role_arn = arn:aws:iam::111111111111:role/deploy\n"                                           \
    "source_profile = base\n"                                                                      \
    "external_id = ext-123\n"                                                                      \
    "role_session_name = rollout\n"                                                                \
    "duration_seconds = 7200\n"                                                                    \
    "[profile chained]\n"                                                                          \
    "role_arn = arn:aws:iam::222222222222:role/second\n"                                           \
    "source_profile = deploy\n"                                                                    \
    "[profile loop-a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop-b\n"                \
    "[profile loop-b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop-a\n"                \
    "[profile self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n"                 \
    "aws_access_key_id = AKIASELF\naws_secret_access_key = " SECRET_B "\n"                         \
    "[profile selfloop]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = selfloop\n"            \
    "[profile dangling]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = nowhere\n"             \
    "[profile empty-source]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = empty\n"           \
    "[profile empty]\nregion = us-east-1\n"                                                        \
    "[profile envsrc]\nrole_arn = arn:aws:iam::1:role/env\ncredential_source = Environment\n"      \
    "[profile badsrc]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Laptop\n"             \
    "[profile both]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Environment\n"          \
    "source_profile = base\n"                                                                      \
    "[profile nosource]\nrole_arn = arn:aws:iam::1:role/x\n"                                       \
    "[profile short]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"                   \
    "duration_seconds = 600\n"                                                                     \
    "[profile notnum]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"                  \
    "duration_seconds = 1h\n"                                                                      \
    "[profile mfa]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"                     \
    "mfa_serial = arn:aws:iam::1:mfa/me\n"                                                         \
    "[profile procsrc]\nrole_arn = arn:aws:iam::1:role/p\nsource_profile = proc\n"                 \
    "[profile proc]\ncredential_process = echo '{\"Version\": 1, \"AccessKeyId\": "                \
    "\"AKIAPROCSRC\", \"SecretAccessKey\": \"" SECRET_A "\"}'\n"

#define ROLE_CREDENTIALS                                                                           \
    "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = " SECRET_A "\n"

struct role_fixture {
    struct aws_shared_config sc;
    char *dir;
    struct fake_sts f;
};

static void role_setup(struct role_fixture *rf)
{
    rf->dir = load_files(&rf->sc, ROLE_CONFIG, ROLE_CREDENTIALS);
    fake_sts_init(&rf->f);
}

static void role_teardown(struct role_fixture *rf)
{
    aws_shared_config_free(&rf->sc);
    tdir_remove(rf->dir);
    tenv_clear();
}

/* Get credentials for `profile`; returns the provider's rc. */
static int role_get(struct role_fixture *rf, const char *profile, struct aws_credentials *c,
                    int *absent, struct err *err)
{
    struct cred_provider *p = cred_role_new(&rf->sc, profile, NULL, &rf->f.ops);
    int rc = cred_provider_try(p, c, absent, err);
    cred_provider_free(p);
    return rc;
}

TEST(role_with_source_profile_passes_every_parameter)
{
    struct role_fixture rf;
    role_setup(&rf);
    struct aws_credentials c;
    struct err err;
    int absent;
    int rc = role_get(&rf, "deploy", &c, &absent, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(rf.f.calls_assume, 1);
    CHECK_STR(rf.f.role_arn, "arn:aws:iam::111111111111:role/deploy");
    CHECK_STR(rf.f.external_id, "ext-123");
    CHECK_STR(rf.f.session_name, "rollout");
    CHECK_INT(rf.f.duration, 7200);
    CHECK_STR(rf.f.source_key_id, "AKIABASE");
    CHECK_STR(c.access_key_id, "ASIAROLEKEY");
    CHECK_STR(c.session_token, "roleSessionTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
    CHECK(c.expiration > 0);
    CHECK_CONTAINS(c.source, "profile 'deploy'");
    aws_credentials_free(&c);
    role_teardown(&rf);
}

TEST(role_chains_through_source_profiles)
{
    struct role_fixture rf;
    role_setup(&rf);
    struct aws_credentials c;
    struct err err;
    int absent;
    int rc = role_get(&rf, "chained", &c, &absent, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(rf.f.calls_assume, 2);
    /* First deploy's role with base's keys, then second with deploy's role. */
    CHECK_STR(rf.f.history, "arn:aws:iam::111111111111:role/deploy<-AKIABASE;"
                            "arn:aws:iam::222222222222:role/second<-ASIAROLEKEY;");
    CHECK_INT(rf.f.duration, 0); /* chained has no duration_seconds */
    aws_credentials_free(&c);

    rc = role_get(&rf, "self", &c, &absent, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(rf.f.source_key_id, "AKIASELF");
    aws_credentials_free(&c);

    rc = role_get(&rf, "procsrc", &c, &absent, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(rf.f.source_key_id, "AKIAPROCSRC");
    aws_credentials_free(&c);
    role_teardown(&rf);
}

TEST(role_credential_source_environment)
{
    struct role_fixture rf;
    role_setup(&rf);
    struct aws_credentials c;
    struct err err;
    int absent;
    CHECK_INT(role_get(&rf, "envsrc", &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_CONTAINS(err.message, "profile 'envsrc' (role_arn arn:aws:iam::1:role/env): cannot get "
                                "the credentials to assume the role with: environment:");
    setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET_B, 1);
    int rc = role_get(&rf, "envsrc", &c, &absent, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(rf.f.source_key_id, "AKIAFROMENV");
    CHECK_STR(rf.f.role_arn, "arn:aws:iam::1:role/env");
    aws_credentials_free(&c);
    role_teardown(&rf);
}

/* Expect a configuration error for `profile` mentioning `want`. */
static int role_misconfigured(struct role_fixture *rf, const char *profile, const char *want,
                              struct err *err)
{
    struct aws_credentials c;
    int absent = 0;
    int rc = role_get(rf, profile, &c, &absent, err);
    return rc == -1 && !absent && strstr(err->message, want) != NULL && rf->f.calls_assume == 0;
}

TEST(role_misconfigurations_name_the_profile_and_fix)
{
    struct role_fixture rf;
    role_setup(&rf);
    struct err err;
    CHECK_MSG(role_misconfigured(&rf, "loop-a",
                                 "profile 'loop-a': source_profile loop "
                                 "loop-a -> loop-b -> loop-a",
                                 &err),
              "%s", err.message);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_MSG(role_misconfigured(&rf, "selfloop", "source_profile loop selfloop -> selfloop", &err),
              "%s", err.message);
    CHECK_MSG(role_misconfigured(&rf, "dangling",
                                 "source_profile = nowhere, but profile "
                                 "nowhere is not in",
                                 &err),
              "%s", err.message);
    CHECK_MSG(role_misconfigured(&rf, "empty-source",
                                 "its source_profile 'empty' has no "
                                 "credentials",
                                 &err),
              "%s", err.message);
    CHECK_MSG(role_misconfigured(&rf, "badsrc",
                                 "credential_source = Laptop is not one of "
                                 "Environment, Ec2InstanceMetadata or EcsContainer",
                                 &err),
              "%s", err.message);
    CHECK_MSG(role_misconfigured(&rf, "both", "both source_profile and credential_source", &err),
              "%s", err.message);
    CHECK_MSG(role_misconfigured(&rf, "nosource",
                                 "role_arn but no source_profile or "
                                 "credential_source",
                                 &err),
              "%s", err.message);
    CHECK_MSG(role_misconfigured(&rf, "short",
                                 "duration_seconds = 600 is out of range; STS "
                                 "accepts 900 to 43200",
                                 &err),
              "%s", err.message);
    CHECK_MSG(
        role_misconfigured(&rf, "notnum", "duration_seconds = 1h is not a whole number", &err),
        "%s", err.message);
    CHECK_MSG(role_misconfigured(&rf, "mfa", "mfa_serial", &err), "%s", err.message);

    struct aws_credentials c;
    int absent;
    CHECK_INT(role_get(&rf, "base", &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    CHECK_CONTAINS(err.message, "no role_arn");
    role_teardown(&rf);
}

TEST(role_sts_error_names_the_source)
{
    struct role_fixture rf;
    role_setup(&rf);
    rf.f.fail_code = "AccessDenied";
    rf.f.fail_message = "User: arn:aws:iam::1:user/base is not authorized to perform: "
                        "sts:AssumeRole";
    struct aws_credentials c;
    struct err err;
    int absent;
    CHECK_INT(role_get(&rf, "deploy", &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_INT(err.kind, ERR_CREDENTIALS);
    CHECK_STR(err.code, "AccessDenied");
    CHECK_STR(err.request_id, "req-fake-1");
    CHECK_CONTAINS(err.message, "profile 'deploy' (role_arn arn:aws:iam::111111111111:role/deploy):"
                                " AssumeRole failed: AccessDenied: User: arn:aws:iam::1:user/base "
                                "is not authorized");
    CHECK_CONTAINS(err.message, "trust policy");

    rf.f.fail_code = "ExpiredToken";
    rf.f.fail_message = "The security token included in the request is expired";
    CHECK_INT(role_get(&rf, "deploy", &c, &absent, &err), -1);
    CHECK_CONTAINS(err.message, "AssumeRole failed: ExpiredToken: The security token");
    CHECK_CONTAINS(err.message, "have expired; refresh them");
    role_teardown(&rf);
}
