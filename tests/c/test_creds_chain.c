/* The default chain's order and precedence, its "nothing found" message,
 * the refreshing cache (with an injected clock), and that no secret ever
 * reaches a log line or an error message. */
#include <stdlib.h>

#include "aws/config.h"
#include "aws/creds.h"
#include "aws/creds/providers.h"
#include "test.h"
#include "test_creds_support.h"

#define SECRET_ENV "envSecretEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"
#define SECRET_CFG "cfgSecretCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
#define SECRET_CRED "credSecretDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"
#define SECRET_PROC "procSecretPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP"
#define TOKEN_CRED "credSessionTokenTTTTTTTTTTTTTTTTTTTTTTTTTTTTT"

struct chain_fixture {
    char *dir;
    struct fake_sts f;
    struct cred_chain_options opts;
};

static void chain_setup(struct chain_fixture *cf, const char *config, const char *creds)
{
    tenv_clear();
    cf->dir = tdir_new();
    if (config) {
        char *p = tdir_write(cf->dir, "config", config);
        setenv("AWS_CONFIG_FILE", p, 1);
        free(p);
    }
    if (creds) {
        char *p = tdir_write(cf->dir, "credentials", creds);
        setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
        free(p);
    }
    fake_sts_init(&cf->f);
    memset(&cf->opts, 0, sizeof(cf->opts));
    cf->opts.sts = &cf->f.ops;
}

static void chain_teardown(struct chain_fixture *cf)
{
    tdir_remove(cf->dir);
    tenv_clear();
}

/* The access key id the default chain finds, or NULL (err filled). */
static char *chain_key_id(struct chain_fixture *cf, const char *flag_profile, struct err *err)
{
    cf->opts.profile = flag_profile;
    struct cred_provider *p = cred_default_chain_new(&cf->opts, err);
    if (!p)
        return NULL;
    struct aws_credentials c;
    char *id = NULL;
    if (cred_provider_get(p, &c, err) == 0)
        id = xstrdup(c.access_key_id);
    aws_credentials_free(&c);
    cred_provider_free(p);
    return id;
}

#define CHAIN_CONFIG                                                                               \
    "[default]\nregion = us-east-1\n"                                                              \
    "[profile everything]\n"                                                                       \
    "role_arn = arn:aws:iam::1:role/everything\nsource_profile = keys\n"                           \
    "aws_access_key_id = AKIAEVERYTHING\naws_secret_access_key = " SECRET_CFG "\n"                 \
    "credential_process = echo '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\","                      \
    "\"SecretAccessKey\":\"" SECRET_PROC "\"}'\n"                                                  \
    "[profile keys-and-process]\n"                                                                 \
    "aws_access_key_id = AKIACFGKEYS\naws_secret_access_key = " SECRET_CFG "\n"                    \
    "credential_process = echo '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\","                      \
    "\"SecretAccessKey\":\"" SECRET_PROC "\"}'\n"                                                  \
    "[profile process-only]\n"                                                                     \
    "credential_process = echo '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\","                      \
    "\"SecretAccessKey\":\"" SECRET_PROC "\"}'\n"                                                  \
    "[profile broken-process]\n"                                                                   \
    "credential_process = echo 'not json'\n"                                                       \
    "[profile keys]\n"                                                                             \
    "aws_access_key_id = AKIACONFIGONLY\naws_secret_access_key = " SECRET_CFG "\n"

#define CHAIN_CREDENTIALS                                                                          \
    "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = " SECRET_CRED "\n"        \
    "aws_session_token = " TOKEN_CRED "\n"                                                         \
    "[keys]\naws_access_key_id = AKIACREDSFILE\naws_secret_access_key = " SECRET_CRED "\n"

TEST(chain_environment_comes_first)
{
    struct chain_fixture cf;
    chain_setup(&cf, CHAIN_CONFIG, CHAIN_CREDENTIALS);
    struct err err;
    char *id = chain_key_id(&cf, NULL, &err);
    CHECK_MSG(id, "%s", err.message);
    CHECK_STR(id, "AKIADEFAULT");
    free(id);
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET_ENV, 1);
    id = chain_key_id(&cf, NULL, &err);
    CHECK_MSG(id, "%s", err.message);
    CHECK_STR(id, "AKIAENV");
    free(id);
    /* AWS_PROFILE does not beat environment keys (as in botocore)... */
    setenv("AWS_PROFILE", "keys", 1);
    id = chain_key_id(&cf, NULL, &err);
    CHECK_MSG(id, "%s", err.message);
    CHECK_STR(id, "AKIAENV");
    free(id);
    /* ...but --profile does (as in the AWS CLI). */
    id = chain_key_id(&cf, "keys", &err);
    CHECK_MSG(id, "%s", err.message);
    CHECK_STR(id, "AKIACREDSFILE");
    free(id);
    chain_teardown(&cf);
}

TEST(chain_order_within_a_profile)
{
    struct chain_fixture cf;
    chain_setup(&cf, CHAIN_CONFIG, CHAIN_CREDENTIALS);
    struct err err;
    /* role_arn first: signed with source profile keys (credentials file wins). */
    char *id = chain_key_id(&cf, "everything", &err);
    CHECK_MSG(id, "%s", err.message);
    CHECK_STR(id, "ASIAROLEKEY");
    CHECK_INT(cf.f.calls_assume, 1);
    CHECK_STR(cf.f.source_key_id, "AKIACREDSFILE");
    free(id);
    /* static keys before credential_process */
    id = chain_key_id(&cf, "keys-and-process", &err);
    CHECK_MSG(id, "%s", err.message);
    CHECK_STR(id, "AKIACFGKEYS");
    free(id);
    id = chain_key_id(&cf, "process-only", &err);
    CHECK_MSG(id, "%s", err.message);
    CHECK_STR(id, "AKIAPROC");
    free(id);
    /* web identity (environment) comes before the profile's static keys */
    char *tok = tdir_write(cf.dir, "token", "web-identity-token-abcdefgh");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/web", 1);
    free(tok);
    id = chain_key_id(&cf, "keys", &err);
    CHECK_MSG(id, "%s", err.message);
    CHECK_STR(id, "ASIAROLEKEY");
    CHECK_INT(cf.f.calls_web, 1);
    CHECK_STR(cf.f.role_arn, "arn:aws:iam::1:role/web");
    chain_teardown(&cf);
    free(id);
}

TEST(chain_stops_at_a_broken_source)
{
    struct chain_fixture cf;
    chain_setup(&cf, CHAIN_CONFIG, CHAIN_CREDENTIALS);
    struct err err;
    char *id = chain_key_id(&cf, "broken-process", &err);
    CHECK(id == NULL);
    CHECK_INT(err.kind, ERR_CREDENTIALS);
    CHECK_CONTAINS(err.message, "credential_process for profile 'broken-process' printed invalid "
                                "JSON at line 1");
    chain_teardown(&cf);
}

TEST(chain_named_profile_must_exist)
{
    struct chain_fixture cf;
    chain_setup(&cf, CHAIN_CONFIG, CHAIN_CREDENTIALS);
    struct err err;
    CHECK(chain_key_id(&cf, "ghost", &err) == NULL);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_CONTAINS(err.message, "profile ghost not found in ");
    setenv("AWS_PROFILE", "ghost-env", 1);
    CHECK(chain_key_id(&cf, NULL, &err) == NULL);
    CHECK_CONTAINS(err.message, "profile ghost-env not found in ");
    chain_teardown(&cf);
}

TEST(chain_unreadable_file_is_named)
{
    struct chain_fixture cf;
    chain_setup(&cf, NULL, NULL);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cf.dir, 1); /* a directory */
    struct err err;
    CHECK(chain_key_id(&cf, NULL, &err) == NULL);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_CONTAINS(err.message, "cannot read AWS credentials file ");
    CHECK_CONTAINS(err.message, cf.dir);
    CHECK_CONTAINS(err.message, "Is a directory");
    chain_teardown(&cf);
}

TEST(chain_nothing_found_lists_every_place)
{
    struct chain_fixture cf;
    chain_setup(&cf, "[default]\nregion = us-east-1\n", NULL);
    struct err err;
    CHECK(chain_key_id(&cf, NULL, &err) == NULL);
    CHECK_INT(err.kind, ERR_CREDENTIALS);
    CHECK_CONTAINS(err.message, "no AWS credentials found");
    CHECK_CONTAINS(err.message, "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are "
                                "not set");
    CHECK_CONTAINS(err.message, "profile 'default': no role_arn");
    CHECK_CONTAINS(err.message, "web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set");
    CHECK_CONTAINS(err.message, "profile 'default': no aws_access_key_id");
    CHECK_CONTAINS(err.message, "profile 'default': no credential_process");
    CHECK_CONTAINS(err.message, "Configure credentials: set AWS_ACCESS_KEY_ID");
    chain_teardown(&cf);

    /* No files at all: the missing profile is said once. */
    chain_setup(&cf, NULL, NULL);
    CHECK(chain_key_id(&cf, NULL, &err) == NULL);
    const char *first = strstr(err.message, "profile 'default': not in /nonexistent/aws-config");
    CHECK(first != NULL);
    CHECK(strstr(first + 1, "profile 'default': not in") == NULL);
    chain_teardown(&cf);
}

/* ---- the cache -------------------------------------------------------- */

struct counting {
    struct cred_provider base;
    int calls;
    time_t *now;
    long lifetime; /* 0: permanent; < 0: already expired by -lifetime */
    int fail;
};

static int counting_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                        struct err *err)
{
    (void)absent;
    struct counting *c = (struct counting *)self;
    c->calls++;
    if (c->fail)
        return err_set(err, ERR_NETWORK, "test source unreachable");
    char id[32];
    snprintf(id, sizeof(id), "ASIACALL%d", c->calls);
    out->access_key_id = xstrdup(id);
    out->secret_access_key = xstrdup("cacheSecretXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
    out->expiration = c->lifetime ? *c->now + c->lifetime : 0;
    out->source = xstrdup("test source");
    return 0;
}

static void counting_destroy(struct cred_provider *self)
{
    (void)self;
}

static time_t fake_now(void *ud)
{
    return *(time_t *)ud;
}

static char *cached_id(struct cred_provider *p, struct err *err)
{
    struct aws_credentials c;
    if (cred_provider_get(p, &c, err) != 0)
        return NULL;
    char *id = xstrdup(c.access_key_id);
    aws_credentials_free(&c);
    return id;
}

#define CHECK_ID(p, want)                                                                          \
    do {                                                                                           \
        struct err e_;                                                                             \
        char *id_ = cached_id(p, &e_);                                                             \
        CHECK_MSG(id_ != NULL, "%s", e_.message);                                                  \
        int same_ = strcmp(id_, want) == 0;                                                        \
        CHECK_MSG(same_, "got %s, expected %s", id_, want);                                        \
        free(id_);                                                                                 \
    } while (0)

TEST(cache_permanent_credentials_are_fetched_once)
{
    time_t now = 1700000000;
    struct counting inner = {{"test source", counting_get, counting_destroy}, 0, &now, 0, 0};
    struct cred_clock clock = {fake_now, &now};
    struct cred_provider *p = cred_cache_new(&inner.base, &clock);
    for (int i = 0; i < 5; i++) {
        CHECK_ID(p, "ASIACALL1");
        now += 100000;
    }
    CHECK_INT(inner.calls, 1);
    cred_provider_free(p);
}

TEST(cache_refreshes_before_expiry)
{
    time_t now = 1700000000, start = now;
    struct counting inner = {{"test source", counting_get, counting_destroy}, 0, &now, 3600, 0};
    struct cred_clock clock = {fake_now, &now};
    struct cred_provider *p = cred_cache_new(&inner.base, &clock);
    CHECK_ID(p, "ASIACALL1");
    now = start + 3600 - CRED_REFRESH_AHEAD_S - 1;
    CHECK_ID(p, "ASIACALL1");
    CHECK_INT(inner.calls, 1);
    now = start + 3600 - CRED_REFRESH_AHEAD_S;
    CHECK_ID(p, "ASIACALL2");
    CHECK_INT(inner.calls, 2);
    /* A rollout much longer than one lifetime keeps getting fresh ones. */
    for (int hour = 0; hour < 10; hour++) {
        now += 3600;
        struct err err;
        char *id = cached_id(p, &err);
        CHECK_MSG(id, "%s", err.message);
        free(id);
    }
    CHECK_INT(inner.calls, 12);
    cred_provider_free(p);

    /* Short-lived credentials are refreshed at half their lifetime. */
    now = start;
    inner.calls = 0;
    inner.lifetime = 400;
    p = cred_cache_new(&inner.base, &clock);
    CHECK_ID(p, "ASIACALL1");
    now = start + 199;
    CHECK_ID(p, "ASIACALL1");
    now = start + 200;
    CHECK_ID(p, "ASIACALL2");
    cred_provider_free(p);
}

TEST(cache_keeps_valid_credentials_when_refresh_fails)
{
    time_t now = 1700000000, start = now;
    struct counting inner = {{"test source", counting_get, counting_destroy}, 0, &now, 3600, 0};
    struct cred_clock clock = {fake_now, &now};
    struct cred_provider *p = cred_cache_new(&inner.base, &clock);
    CHECK_ID(p, "ASIACALL1");
    inner.fail = 1;
    tlog_start();
    now = start + 3400;
    CHECK_ID(p, "ASIACALL1");
    CHECK_CONTAINS(tlog_text(), "could not refresh credentials (test source unreachable)");
    tlog_stop();
    CHECK_INT(inner.calls, 2);
    now = start + 3600 - CRED_MIN_REMAINING_S;
    struct err err;
    CHECK(cached_id(p, &err) == NULL);
    CHECK_CONTAINS(err.message, "test source unreachable");
    inner.fail = 0;
    CHECK_ID(p, "ASIACALL4");
    cred_provider_free(p);
}

TEST(cache_rejects_credentials_that_arrive_expired)
{
    time_t now = 1700000000;
    struct counting inner = {{"test source", counting_get, counting_destroy}, 0, &now, -10, 0};
    struct cred_clock clock = {fake_now, &now};
    struct cred_provider *p = cred_cache_new(&inner.base, &clock);
    struct err err;
    CHECK(cached_id(p, &err) == NULL);
    CHECK_INT(err.kind, ERR_CREDENTIALS);
    CHECK_CONTAINS(err.message, "test source returned credentials that expired at "
                                "2023-11-14T22:13:10Z (it is now 2023-11-14T22:13:20Z)");
    CHECK_CONTAINS(err.message, "check the system clock");
    cred_provider_free(p);
}

/* ---- secrets ---------------------------------------------------------- */

static int leaks(const char *text)
{
    static const char *const secrets[] = {SECRET_ENV,
                                          SECRET_CFG,
                                          SECRET_CRED,
                                          SECRET_PROC,
                                          TOKEN_CRED,
                                          "web-identity-token-abcdefgh",
                                          "roleSecretAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                          "roleSessionTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBB"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        if (strstr(text, secrets[i]))
            return 1;
    return 0;
}

TEST(secrets_never_reach_logs_or_errors)
{
    struct chain_fixture cf;
    chain_setup(&cf,
                CHAIN_CONFIG
                "[profile leaky]\ncredential_process = sh -c 'echo \"bad key " SECRET_PROC
                "\" >&2; exit 1'\n"
                "[profile leaky-json]\ncredential_process = echo '{\"Version\": 1, "
                "\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" SECRET_PROC "\", "
                "\"Expiration\": \"1999-01-01T00:00:00Z\"}'\n"
                "[profile denied]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = keys\n",
                CHAIN_CREDENTIALS);
    tlog_start();
    struct buf errors = BUF_INIT;
    struct err err;
    static const char *const profiles[] = {"default",      "everything",     "keys-and-process",
                                           "process-only", "broken-process", "leaky",
                                           "leaky-json",   "keys",           "denied"};
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        if (strcmp(profiles[i], "denied") == 0) {
            cf.f.fail_code = "AccessDenied";
            cf.f.fail_message = "not authorized with secret " SECRET_CRED;
        }
        char *id = chain_key_id(&cf, profiles[i], &err);
        if (!id) {
            err_format(&err, &errors);
            buf_putc(&errors, '\n');
        }
        free(id);
    }
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET_ENV, 1);
    char *tok = tdir_write(cf.dir, "token", "web-identity-token-abcdefgh");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
    free(tok);
    free(chain_key_id(&cf, NULL, &err));
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CHECK(chain_key_id(&cf, NULL, &err) == NULL);
    err_format(&err, &errors);
    unsetenv("AWS_ACCESS_KEY_ID");
    CHECK(chain_key_id(&cf, NULL, &err) == NULL); /* web identity without role arn */
    err_format(&err, &errors);
    CHECK_CONTAINS(buf_cstr(&errors), "exited with status 1: bad key ****");
    CHECK_CONTAINS(buf_cstr(&errors), "AccessDenied");
    CHECK_CONTAINS(buf_cstr(&errors), "expired at 1999-01-01T00:00:00Z");
    CHECK(tlog_text()[0] != '\0'); /* something was logged at trace level */
    int leaked_log = leaks(tlog_text()), leaked_err = leaks(buf_cstr(&errors));
    buf_free(&errors);
    tlog_stop();
    chain_teardown(&cf);
    CHECK_MSG(!leaked_log, "a secret reached the log");
    CHECK_MSG(!leaked_err, "a secret reached an error message");
}
