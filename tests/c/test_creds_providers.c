/* The credential sources that need no HTTP: environment, static profile
 * keys, credential_process, and web identity against a fake STS (role_arn
 * is in test_creds_role.c, the real STS calls in test_sts.c). */
#include <stdlib.h>

#include "aws/config.h"
#include "aws/creds.h"
#include "aws/creds/providers.h"
#include "test.h"
#include "test_creds_support.h"

#define SECRET_A "secretAAAAwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLE"
#define SECRET_B "secretBBBBwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLE"
#define TOKEN_A "sessionTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/* ---- times ------------------------------------------------------------ */

TEST(parse_time_accepts_iso8601_forms)
{
    time_t t;
    CHECK_INT(cred_parse_time("2024-05-01T12:00:00Z", &t), 0);
    CHECK_INT(t, 1714564800);
    CHECK_INT(cred_parse_time("2024-05-01T12:00:00.123456Z", &t), 0);
    CHECK_INT(t, 1714564800);
    CHECK_INT(cred_parse_time("2024-05-01T14:30:00+02:30", &t), 0);
    CHECK_INT(t, 1714564800);
    CHECK_INT(cred_parse_time("2024-05-01T07:00:00-0500", &t), 0);
    CHECK_INT(t, 1714564800);
    CHECK_INT(cred_parse_time("2024-05-01 12:00:00z", &t), 0);
    CHECK_INT(t, 1714564800);
    CHECK_INT(cred_parse_time("2024-05-01T12:00:00", &t), -1); /* no zone */
    CHECK_INT(cred_parse_time("2024-13-01T12:00:00Z", &t), -1);
    CHECK_INT(cred_parse_time("2024-05-01T12:00Z", &t), -1);
    CHECK_INT(cred_parse_time("2024-05-01T12:00:00Zjunk", &t), -1);
    CHECK_INT(cred_parse_time("", &t), -1);
    /* Found by fuzz_creds_json: an expiry at the epoch read as "never
     * expires", and the year 99 printed as "99-..." (corpus/creds_json/
     * regress-*). */
    CHECK_INT(cred_parse_time("1970-01-01T01:00:00+01:00", &t), -1);
    CHECK_INT(cred_parse_time("1969-12-31T23:59:59Z", &t), -1);
    CHECK_INT(cred_parse_time("1970-01-01T00:00:01Z", &t), 0);
    CHECK_INT(t, 1);
    char when[32];
    cred_format_time(-59019837168LL, when);
    CHECK_STR(when, "0099-09-26T00:47:12Z");
    cred_format_time(1714564800, when);
    CHECK_STR(when, "2024-05-01T12:00:00Z");
    char out[32];
    cred_format_time(1714564800, out);
    CHECK_STR(out, "2024-05-01T12:00:00Z");
}

/* ---- environment ------------------------------------------------------ */

TEST(env_provider_reads_the_variables)
{
    tenv_clear();
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET_A, 1);
    setenv("AWS_SESSION_TOKEN", TOKEN_A, 1);
    struct cred_provider *p = cred_env_new();
    struct aws_credentials c;
    struct err err;
    CHECK_INT(cred_provider_get(p, &c, &err), 0);
    CHECK_STR(c.access_key_id, "AKIAENV");
    CHECK_STR(c.secret_access_key, SECRET_A);
    CHECK_STR(c.session_token, TOKEN_A);
    CHECK_INT(c.expiration, 0);
    CHECK_STR(c.source, "environment");
    aws_credentials_free(&c);

    tenv_clear();
    setenv("AWS_ACCESS_KEY", "AKIALEGACY", 1);
    setenv("AWS_SECRET_KEY", SECRET_B, 1);
    CHECK_INT(cred_provider_get(p, &c, &err), 0);
    CHECK_STR(c.access_key_id, "AKIALEGACY");
    CHECK(c.session_token == NULL);
    aws_credentials_free(&c);
    cred_provider_free(p);
    tenv_clear();
}

TEST(env_provider_absent_or_half_set)
{
    tenv_clear();
    struct cred_provider *p = cred_env_new();
    struct aws_credentials c;
    struct err err;
    int absent = 0;
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    CHECK_CONTAINS(err.message, "AWS_ACCESS_KEY_ID");

    setenv("AWS_ACCESS_KEY_ID", "AKIAHALF", 1);
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_INT(err.kind, ERR_CREDENTIALS);
    CHECK_CONTAINS(err.message, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");

    tenv_clear();
    setenv("AWS_SECRET_ACCESS_KEY", SECRET_A, 1);
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_CONTAINS(err.message, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    CHECK(strstr(err.message, SECRET_A) == NULL);
    cred_provider_free(p);
    tenv_clear();
}

/* ---- static keys in a profile ---------------------------------------- */

TEST(profile_keys_credentials_file_then_config_file)
{
    struct aws_shared_config sc;
    char *dir = load_files(&sc,
                           "[profile both]\naws_access_key_id = AKIACONFIG\n"
                           "aws_secret_access_key = " SECRET_B "\n"
                           "[profile cfgonly]\naws_access_key_id = AKIACFGONLY\n"
                           "aws_secret_access_key = " SECRET_B "\n"
                           "[profile nokeys]\nregion = us-east-1\n",
                           "[both]\naws_access_key_id = AKIACREDS\n"
                           "aws_secret_access_key = " SECRET_A "\naws_session_token = " TOKEN_A
                           "\n[half]\naws_access_key_id = AKIAHALF\n");
    struct aws_credentials c;
    struct err err;
    int absent;
    struct cred_provider *p = cred_profile_keys_new(&sc, "both");
    CHECK_INT(cred_provider_get(p, &c, &err), 0);
    CHECK_STR(c.access_key_id, "AKIACREDS");
    CHECK_STR(c.secret_access_key, SECRET_A);
    CHECK_STR(c.session_token, TOKEN_A);
    CHECK_CONTAINS(c.source, "credentials");
    aws_credentials_free(&c);
    cred_provider_free(p);

    p = cred_profile_keys_new(&sc, "cfgonly");
    CHECK_INT(cred_provider_get(p, &c, &err), 0);
    CHECK_STR(c.access_key_id, "AKIACFGONLY");
    CHECK(c.session_token == NULL);
    aws_credentials_free(&c);
    cred_provider_free(p);

    p = cred_profile_keys_new(&sc, "nokeys");
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    cred_provider_free(p);

    p = cred_profile_keys_new(&sc, "missing");
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    CHECK_CONTAINS(err.message, "profile 'missing': not in");
    cred_provider_free(p);

    p = cred_profile_keys_new(&sc, "half");
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_CONTAINS(err.message, "profile 'half' in ");
    CHECK_CONTAINS(err.message, "has aws_access_key_id but no aws_secret_access_key");
    cred_provider_free(p);
    aws_shared_config_free(&sc);
    tdir_remove(dir);
    tenv_clear();
}

/* ---- credential_process ---------------------------------------------- */

static struct cred_provider *process_with(const char *dir, const char *script, long timeout_ms)
{
    char *path = tdir_write(dir, "proc.sh", script);
    struct buf cmd = BUF_INIT;
    buf_printf(&cmd, "'%s' --flag 'quoted arg'", path);
    struct cred_provider *p = cred_process_new("profile 'proc'", buf_cstr(&cmd), timeout_ms);
    buf_free(&cmd);
    free(path);
    return p;
}

TEST(process_prints_credentials)
{
    char *dir = tdir_new();
    char future[32];
    cred_format_time(time(NULL) + 7200, future);
    struct buf script = BUF_INIT;
    buf_printf(&script,
               "#!/bin/sh\n"
               "[ \"$2\" = 'quoted arg' ] || { echo \"bad args: $*\" >&2; exit 9; }\n"
               "cat <<EOF\n"
               "{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\",\n"
               " \"SecretAccessKey\": \"%s\", \"SessionToken\": \"%s\",\n"
               " \"Expiration\": \"%s\"}\n"
               "EOF\n",
               SECRET_A, TOKEN_A, future);
    struct cred_provider *p = process_with(dir, buf_cstr(&script), 0);
    buf_free(&script);
    struct aws_credentials c;
    struct err err;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "AKIAPROC");
    CHECK_STR(c.secret_access_key, SECRET_A);
    CHECK_STR(c.session_token, TOKEN_A);
    time_t want;
    CHECK_INT(cred_parse_time(future, &want), 0);
    CHECK_INT(c.expiration, want);
    CHECK_CONTAINS(c.source, "credential_process");
    aws_credentials_free(&c);
    cred_provider_free(p);

    /* Without Expiration they are permanent; shell syntax works. */
    p = cred_process_new("profile 'x'",
                         "printf '%s' '{\"Version\":1,\"AccessKeyId\":\"AKIA2\",' | cat; "
                         "echo '\"SecretAccessKey\":\"" SECRET_B "\"}'",
                         0);
    rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "AKIA2");
    CHECK_INT(c.expiration, 0);
    CHECK(c.session_token == NULL);
    aws_credentials_free(&c);
    cred_provider_free(p);
    tdir_remove(dir);
}

/* Run `script` and expect an error containing `want`. */
static int process_fails(const char *script, long timeout_ms, const char *want, struct err *err)
{
    char *dir = tdir_new();
    struct cred_provider *p = process_with(dir, script, timeout_ms);
    struct aws_credentials c;
    int absent = 0;
    int rc = cred_provider_try(p, &c, &absent, err);
    cred_provider_free(p);
    tdir_remove(dir);
    if (rc == 0 || absent || err->kind != ERR_CREDENTIALS || !strstr(err->message, want))
        return 0;
    return strstr(err->message, "credential_process for profile 'proc'") != NULL;
}

TEST(process_nonzero_exit_includes_scrubbed_stderr)
{
    log_add_secret(SECRET_B);
    struct err err;
    CHECK_MSG(process_fails("#!/bin/sh\necho 'token expired for key " SECRET_B "' >&2\n"
                            "echo 'please log in' >&2\nexit 3\n",
                            0, "exited with status 3: token expired for key **** please log in",
                            &err),
              "%s", err.message);
    CHECK(strstr(err.message, SECRET_B) == NULL);
    CHECK_CONTAINS(err.message, "run the command yourself");
}

TEST(process_bad_output_is_explained)
{
    struct err err;
    CHECK_MSG(process_fails("#!/bin/sh\necho '{\"Version\": 1,'\necho '  \"AccessKeyId\" \"x\"}'\n",
                            0, "printed invalid JSON at line 2", &err),
              "%s", err.message);
    CHECK_CONTAINS(err.message, "it must print {\"Version\": 1");
    CHECK_MSG(process_fails("#!/bin/sh\ntrue\n", 0, "printed nothing on stdout", &err), "%s",
              err.message);
    CHECK_MSG(process_fails("#!/bin/sh\necho '{\"Version\": 2, \"AccessKeyId\": \"A\", "
                            "\"SecretAccessKey\": \"" SECRET_A "\"}'\n",
                            0, "printed Version 2; only Version 1", &err),
              "%s", err.message);
    CHECK(strstr(err.message, SECRET_A) == NULL);
    CHECK_MSG(process_fails("#!/bin/sh\necho '{\"AccessKeyId\": \"A\"}'\n", 0, "printed no Version",
                            &err),
              "%s", err.message);
    CHECK_MSG(process_fails("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"A\"}'\n", 0,
                            "no SecretAccessKey", &err),
              "%s", err.message);
    CHECK_MSG(process_fails("#!/bin/sh\necho '[1, 2]'\n", 0, "not an object", &err), "%s",
              err.message);
    CHECK_MSG(process_fails("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"A\", "
                            "\"SecretAccessKey\": \"" SECRET_A "\", \"Expiration\": \"soon\"}'\n",
                            0, "Expiration is not an ISO 8601 time", &err),
              "%s", err.message);
}

TEST(process_expired_credentials)
{
    struct err err;
    CHECK_MSG(process_fails("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"A\", "
                            "\"SecretAccessKey\": \"" SECRET_A "\", \"SessionToken\": \"" TOKEN_A
                            "\", \"Expiration\": \"2001-02-03T04:05:06Z\"}'\n",
                            0, "expired at 2001-02-03T04:05:06Z", &err),
              "%s", err.message);
    CHECK_CONTAINS(err.message, "fresh credentials");
    CHECK(strstr(err.message, SECRET_A) == NULL);
    CHECK(strstr(err.message, TOKEN_A) == NULL);
}

TEST(process_timeout_and_signal)
{
    struct err err;
    CHECK_MSG(process_fails("#!/bin/sh\nexec sleep 30\n", 200, "did not finish within", &err), "%s",
              err.message);
    /* The shell itself dies of a signal. */
    struct cred_provider *p = cred_process_new("profile 'sig'", "kill -KILL $$", 0);
    struct aws_credentials c;
    int absent;
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    cred_provider_free(p);
    CHECK_CONTAINS(err.message, "credential_process for profile 'sig' was killed by signal 9");
}

TEST(process_from_profile)
{
    struct aws_shared_config sc;
    char *dir = load_files(&sc,
                           "[profile p]\ncredential_process = echo '{\"Version\": 1, "
                           "\"AccessKeyId\": \"AKIAPROFILE\", \"SecretAccessKey\": \"" SECRET_A
                           "\"}'\n[profile none]\nregion = us-east-1\n",
                           NULL);
    struct aws_credentials c;
    struct err err;
    int absent;
    struct cred_provider *p = cred_profile_process_new(&sc, "p");
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "AKIAPROFILE");
    aws_credentials_free(&c);
    cred_provider_free(p);
    p = cred_profile_process_new(&sc, "none");
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    CHECK_CONTAINS(err.message, "no credential_process");
    cred_provider_free(p);
    aws_shared_config_free(&sc);
    tdir_remove(dir);
    tenv_clear();
}

/* ---- web identity ----------------------------------------------------- */

TEST(web_identity_from_environment_rereads_the_token)
{
    tenv_clear();
    char *dir = tdir_new();
    char *token_file = tdir_write(dir, "token", "eyJhbGciOiJSUzI1NiJ9.first-token.sig\n");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token_file, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web", 1);
    setenv("AWS_ROLE_SESSION_NAME", "ci-session", 1);
    struct fake_sts f;
    fake_sts_init(&f);
    struct cred_provider *p = cred_web_identity_new(NULL, "default", &f.ops, 1);
    struct aws_credentials c;
    struct err err;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(f.calls_web, 1);
    CHECK_INT(f.calls_assume, 0);
    CHECK_STR(f.role_arn, "arn:aws:iam::123456789012:role/web");
    CHECK_STR(f.session_name, "ci-session");
    CHECK_STR(f.token, "eyJhbGciOiJSUzI1NiJ9.first-token.sig");
    CHECK_STR(c.access_key_id, "ASIAROLEKEY");
    CHECK_CONTAINS(c.source, "web identity");
    aws_credentials_free(&c);

    free(tdir_write(dir, "token", "eyJhbGciOiJSUzI1NiJ9.second-token.sig"));
    rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(f.token, "eyJhbGciOiJSUzI1NiJ9.second-token.sig");
    aws_credentials_free(&c);

    /* The token is a secret. */
    struct err e2;
    err_set(&e2, ERR_INTERNAL, "echo %s", "eyJhbGciOiJSUzI1NiJ9.second-token.sig");
    CHECK_STR(e2.message, "echo ****");

    /* Broken: the file went away; no role. */
    tdir_remove(dir);
    int absent;
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_CONTAINS(err.message, "web identity: cannot read AWS_WEB_IDENTITY_TOKEN_FILE");
    CHECK_CONTAINS(err.message, token_file);
    unsetenv("AWS_ROLE_ARN");
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_CONTAINS(err.message, "set AWS_ROLE_ARN");
    free(token_file);
    cred_provider_free(p);
    tenv_clear();
}

TEST(web_identity_from_profile_and_sts_errors)
{
    struct aws_shared_config sc;
    char *dir = load_files(&sc, NULL, NULL);
    char *token_file = tdir_write(dir, "tok", "profile-token-value-1234");
    struct buf config = BUF_INIT;
    buf_printf(&config,
               "[profile w]\nweb_identity_token_file = %s\nrole_arn = arn:aws:iam::1:role/w\n"
               "role_session_name = from-profile\n",
               token_file);
    char *cfg_path = tdir_write(dir, "config", buf_cstr(&config));
    buf_free(&config);
    setenv("AWS_CONFIG_FILE", cfg_path, 1);
    struct err err;
    aws_shared_config_free(&sc);
    CHECK_INT(aws_shared_config_load(&sc, &err), 0);

    struct fake_sts f;
    fake_sts_init(&f);
    struct cred_provider *p = cred_web_identity_new(&sc, "w", &f.ops, 1);
    struct aws_credentials c;
    int absent;
    int rc = cred_provider_get(p, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(f.role_arn, "arn:aws:iam::1:role/w");
    CHECK_STR(f.session_name, "from-profile");
    CHECK_STR(f.token, "profile-token-value-1234");
    aws_credentials_free(&c);

    f.fail_code = "InvalidIdentityToken";
    f.fail_message = "Couldn't retrieve verification key from your identity provider";
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 0);
    CHECK_INT(err.kind, ERR_CREDENTIALS);
    CHECK_STR(err.code, "InvalidIdentityToken");
    CHECK_CONTAINS(err.message, "web identity (profile 'w', web_identity_token_file ");
    CHECK_CONTAINS(err.message, "AssumeRoleWithWebIdentity failed: InvalidIdentityToken: "
                                "Couldn't retrieve verification key");
    CHECK_CONTAINS(err.message, "check its issuer");
    cred_provider_free(p);

    p = cred_web_identity_new(&sc, "other", &f.ops, 1);
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    cred_provider_free(p);
    aws_shared_config_free(&sc);
    free(token_file);
    free(cfg_path);
    tdir_remove(dir);
    tenv_clear();
}
