/* The shared config / credentials file parser, profile selection and region
 * resolution. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "aws/config.h"
#include "aws/profile_file.h"
#include "test.h"
#include "test_creds_support.h"

static int parse(struct aws_profile_file *f, enum aws_profile_file_kind kind, const char *text,
                 struct err *err)
{
    return aws_profile_file_parse(f, kind, "/tmp/test-file", text, strlen(text), err);
}

static const char *val(const struct aws_profile_file *f, const char *profile, const char *key)
{
    return aws_profile_get(aws_profile_file_find(f, profile), key);
}

TEST(config_sections_comments_and_whitespace)
{
    struct aws_profile_file f;
    struct err err;
    const char *text = "# a comment\n"
                       "; another\n"
                       "[default]\n"
                       "region=us-east-1\n"
                       "\n"
                       "[profile dev]   # trailing comment\n"
                       "  \t\n"
                       "region = eu-west-1   ; comment after whitespace\n"
                       "Output\t=\tjson\n"
                       "url = https://x/a#b;c\n"
                       "[ profile   spaced ]\n"
                       "region = ap-south-1\r\n"
                       "[profile dev]\n"
                       "extra = 1\n";
    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CONFIG, text, &err), 0);
    CHECK_STR(val(&f, "default", "region"), "us-east-1");
    CHECK_STR(val(&f, "dev", "region"), "eu-west-1");
    CHECK_STR(val(&f, "dev", "output"), "json"); /* keys are case-insensitive */
    CHECK_STR(val(&f, "dev", "OUTPUT"), "json");
    CHECK_STR(val(&f, "dev", "url"), "https://x/a#b;c"); /* no whitespace: not a comment */
    CHECK_STR(val(&f, "dev", "extra"), "1");             /* repeated section: merged */
    CHECK_STR(val(&f, "spaced", "region"), "ap-south-1");
    CHECK(val(&f, "dev", "missing") == NULL);
    CHECK(aws_profile_file_find(&f, "profile dev") == NULL);
    aws_profile_file_free(&f);
}

TEST(config_subsections_are_skipped)
{
    struct aws_profile_file f;
    struct err err;
    const char *text = "[profile a]\n"
                       "s3 =\n"
                       "  max_concurrent_requests = 20\n"
                       "  # indented comment\n"
                       "  region = should-not-leak\n"
                       "region = us-west-2\n"
                       "description = first line\n"
                       "  second line\n";
    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CONFIG, text, &err), 0);
    CHECK_STR(val(&f, "a", "region"), "us-west-2");
    CHECK(val(&f, "a", "max_concurrent_requests") == NULL);
    CHECK_CONTAINS(val(&f, "a", "s3"), "max_concurrent_requests = 20");
    CHECK_STR(val(&f, "a", "description"), "first line\nsecond line");
    aws_profile_file_free(&f);
}

TEST(config_section_kinds_per_file)
{
    struct aws_profile_file f;
    struct err err;
    tlog_start();
    /* In the config file, [foo] and [sso-session x] are not profiles. */
    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CONFIG,
                    "[foo]\nregion = us-east-1\n[sso-session s]\nsso_region = us-east-1\n"
                    "[services x]\nec2 =\n  endpoint_url = http://x\n",
                    &err),
              0);
    CHECK(aws_profile_file_find(&f, "foo") == NULL);
    CHECK(aws_profile_file_find(&f, "s") == NULL);
    CHECK_CONTAINS(tlog_text(), "[profile NAME]");
    /* sso-session and services sections are kept apart from the profiles. */
    CHECK_STR(aws_profile_get(aws_profile_file_find_sso_session(&f, "s"), "sso_region"),
              "us-east-1");
    const struct aws_profile *svc = aws_profile_file_find_services(&f, "x");
    char *url = aws_profile_get_sub(svc, "ec2", "endpoint_url");
    CHECK_STR(url, "http://x");
    free(url);
    CHECK(aws_profile_get_sub(svc, "ec2", "region") == NULL);
    CHECK(aws_profile_get_sub(svc, "sso", "endpoint_url") == NULL);
    aws_profile_file_free(&f);
    /* In the credentials file, sections are bare names. */
    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CREDENTIALS,
                    "[foo]\naws_access_key_id = AKIAFOO\n[profile bar]\nx = 1\n", &err),
              0);
    CHECK_STR(val(&f, "foo", "aws_access_key_id"), "AKIAFOO");
    CHECK(aws_profile_file_find(&f, "bar") == NULL);
    CHECK(aws_profile_file_find(&f, "profile bar") == NULL);
    aws_profile_file_free(&f);
    tlog_stop();
}

TEST(config_profile_default_wins_over_default)
{
    struct aws_profile_file f;
    struct err err;
    tlog_start();
    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CONFIG,
                    "[default]\nregion = us-east-1\nonly_plain = 1\n"
                    "[profile default]\nregion = eu-central-1\n[default]\nregion = sa-east-1\n",
                    &err),
              0);
    CHECK_STR(val(&f, "default", "region"), "eu-central-1");
    CHECK(val(&f, "default", "only_plain") == NULL);
    aws_profile_file_free(&f);
    tlog_stop();
}

TEST(config_malformed_lines_name_file_and_line)
{
    struct aws_profile_file f;
    struct err err;
    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CONFIG, "[default]\nregion us-east-1\n", &err), -1);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_CONTAINS(err.message, "/tmp/test-file, line 2");
    CHECK_CONTAINS(err.message, "'='");

    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CREDENTIALS, "aws_access_key_id = AKIA\n", &err), -1);
    CHECK_CONTAINS(err.message, "line 1");
    CHECK_CONTAINS(err.message, "expected a profile definition");

    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CONFIG, "\n\n[profile x\n", &err), -1);
    CHECK_CONTAINS(err.message, "line 3");
    CHECK_CONTAINS(err.message, "']'");

    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CONFIG, "[default]\n  indented = 1\n", &err), -1);
    CHECK_CONTAINS(err.message, "line 2");

    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CONFIG, "[default]\n = nokey\n", &err), -1);
    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CONFIG, "[default]\ns3 =\n  bad sub property\n", &err),
              -1);
    CHECK_CONTAINS(err.message, "line 3");

    /* The message never quotes the line: it may hold a secret. */
    CHECK_INT(parse(&f, AWS_PROFILE_FILE_CREDENTIALS,
                    "[default]\naws_secret_access_key wJalrXUtnFEMI/K7MDENG\n", &err),
              -1);
    CHECK(strstr(err.message, "wJalrXUtnFEMI") == NULL);
}

TEST(config_missing_file_is_fine_unreadable_is_not)
{
    struct aws_profile_file f;
    struct err err;
    CHECK_INT(aws_profile_file_load(&f, AWS_PROFILE_FILE_CONFIG, "/nonexistent/dir/config", &err),
              0);
    CHECK_INT(f.exists, 0);
    CHECK_STR(f.path, "/nonexistent/dir/config");
    aws_profile_file_free(&f);

    /* A directory where the file should be: it exists but cannot be read. */
    char *dir = tdir_new();
    CHECK_INT(aws_profile_file_load(&f, AWS_PROFILE_FILE_CREDENTIALS, dir, &err), -1);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_CONTAINS(err.message, dir);
    CHECK_CONTAINS(err.message, strerror(EISDIR));
    CHECK_CONTAINS(err.message, "AWS_SHARED_CREDENTIALS_FILE");
    tdir_remove(dir);
}

TEST(config_home_expansion)
{
    const char *old = getenv("HOME");
    char *saved = old ? xstrdup(old) : NULL;
    setenv("HOME", "/home/tester", 1);
    char *p = aws_expand_home("~/.aws/config");
    char *q = aws_expand_home("/abs/~/x");
    setenv("HOME", saved ? saved : "/", 1);
    free(saved);
    CHECK_STR(p, "/home/tester/.aws/config");
    CHECK_STR(q, "/abs/~/x");
    free(p);
    free(q);
}

TEST(config_credentials_file_overrides_config)
{
    tenv_clear();
    char *dir = tdir_new();
    char *cfg = tdir_write(dir, "config",
                           "[profile p]\nregion = us-east-1\naws_access_key_id = FROMCONFIG\n"
                           "output = json\n");
    char *cred =
        tdir_write(dir, "credentials", "[p]\naws_access_key_id = FROMCREDS\nregion = eu-west-2\n");
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    struct aws_shared_config sc;
    struct err err;
    int rc = aws_shared_config_load(&sc, &err);
    tdir_remove(dir);
    free(cfg);
    free(cred);
    CHECK_INT(rc, 0);
    CHECK_STR(aws_shared_config_get(&sc, "p", "aws_access_key_id"), "FROMCREDS");
    CHECK_STR(aws_shared_config_get(&sc, "p", "region"), "eu-west-2");
    CHECK_STR(aws_shared_config_get(&sc, "p", "output"), "json");
    CHECK(aws_shared_config_has_profile(&sc, "p"));
    CHECK_INT(aws_shared_config_require_profile(&sc, "nope", &err), -1);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_CONTAINS(err.message, "profile nope not found in ");
    CHECK_CONTAINS(err.message, "/config or ");
    CHECK_CONTAINS(err.message, "/credentials");
    aws_shared_config_free(&sc);
}

TEST(config_profile_name_precedence)
{
    tenv_clear();
    CHECK_STR(aws_profile_name(NULL), "default");
    CHECK(!aws_profile_is_named(NULL));
    setenv("AWS_PROFILE", "fromenv", 1);
    CHECK_STR(aws_profile_name(NULL), "fromenv");
    CHECK_STR(aws_profile_name(""), "fromenv");
    CHECK_STR(aws_profile_name("flag"), "flag");
    CHECK(aws_profile_is_named(NULL));
    tenv_clear();
    CHECK(aws_profile_is_named("flag"));
}

/* AWS_DEFAULT_PROFILE, which boto3 reads, names the profile too; AWS_PROFILE
 * and the flag come first, and a disagreement is warned about. */
TEST(config_aws_default_profile)
{
    tenv_clear();
    setenv("AWS_DEFAULT_PROFILE", "boto", 1);
    CHECK_STR(aws_profile_name(NULL), "boto");
    CHECK_STR(aws_profile_origin(NULL), "AWS_DEFAULT_PROFILE");
    CHECK(aws_profile_is_named(NULL));
    CHECK_STR(aws_profile_name("flag"), "flag");
    CHECK_STR(aws_profile_origin("flag"), "--profile");
    tlog_start();
    aws_profile_warn_ambiguous(NULL);
    CHECK_STR(tlog_text(), ""); /* one of them only: nothing to say */
    setenv("AWS_PROFILE", "cli", 1);
    CHECK_STR(aws_profile_name(NULL), "cli");
    CHECK_STR(aws_profile_origin(NULL), "AWS_PROFILE");
    aws_profile_warn_ambiguous(NULL);
    CHECK_CONTAINS(tlog_text(), "AWS_PROFILE=cli and AWS_DEFAULT_PROFILE=boto name different "
                                "profiles; using cli");
    tlog_stop();
    tlog_start();
    aws_profile_warn_ambiguous("flag");
    setenv("AWS_PROFILE", "boto", 1);
    aws_profile_warn_ambiguous(NULL);
    CHECK_STR(tlog_text(), "");
    tlog_stop();

    /* The profile it names must exist, as in boto3 (ProfileNotFound). */
    tenv_clear();
    setenv("AWS_DEFAULT_PROFILE", "ghost3", 1);
    char *r = NULL;
    struct err err;
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), -1);
    CHECK_CONTAINS(err.message, "profile ghost3 not found");
    CHECK_CONTAINS(err.message, "AWS_DEFAULT_PROFILE");

    /* Its region and its credentials are the ones used. */
    struct aws_shared_config sc;
    char *dir = load_files(&sc, "[profile boto]\nregion = ap-southeast-2\n",
                           "[boto]\naws_access_key_id = AKIABOTO\n"
                           "aws_secret_access_key = botoSecretBBBBBBBBBBBBBBBBBBBBB\n");
    aws_shared_config_free(&sc);
    setenv("AWS_DEFAULT_PROFILE", "boto", 1);
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), 0);
    CHECK_STR(r, "ap-southeast-2");
    free(r);
    struct cred_provider *chain = cred_default_chain_new(NULL, &err);
    CHECK_MSG(chain, "%s", err.message);
    struct aws_credentials c;
    CHECK_INT(cred_provider_get(chain, &c, &err), 0);
    CHECK_STR(c.access_key_id, "AKIABOTO");
    aws_credentials_free(&c);
    cred_provider_free(chain);
    tdir_remove(dir);
    tenv_clear();
}

TEST(region_order_flag_env_profile)
{
    tenv_clear();
    char *dir = tdir_new();
    char *cfg = tdir_write(dir, "config",
                           "[default]\nregion = us-west-1\n[profile other]\nregion = cn-north-1\n");
    setenv("AWS_CONFIG_FILE", cfg, 1);
    char *r = NULL;
    struct err err;
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), 0);
    CHECK_STR(r, "us-west-1");
    free(r);
    CHECK_INT(aws_resolve_region(NULL, "other", &r, &err), 0);
    CHECK_STR(r, "cn-north-1");
    free(r);
    setenv("AWS_PROFILE", "other", 1);
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), 0);
    CHECK_STR(r, "cn-north-1");
    free(r);
    setenv("AWS_DEFAULT_REGION", "us-gov-west-1", 1);
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), 0);
    CHECK_STR(r, "us-gov-west-1");
    free(r);
    setenv("AWS_REGION", "eu-north-1", 1);
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), 0);
    CHECK_STR(r, "eu-north-1");
    free(r);
    CHECK_INT(aws_resolve_region("ap-northeast-3", NULL, &r, &err), 0);
    CHECK_STR(r, "ap-northeast-3");
    free(r);
    tdir_remove(dir);
    free(cfg);
    tenv_clear();
}

TEST(region_missing_lists_where_it_looked)
{
    tenv_clear();
    char *r = NULL;
    struct err err;
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), -1);
    CHECK(r == NULL);
    CHECK_INT(err.kind, ERR_USAGE);
    CHECK_CONTAINS(err.message, "--aws-region");
    CHECK_CONTAINS(err.message, "AWS_REGION");
    CHECK_CONTAINS(err.message, "AWS_DEFAULT_REGION");
    CHECK_CONTAINS(err.message, "profile 'default'");
    CHECK_CONTAINS(err.message, "/nonexistent/aws-config");
}

TEST(region_named_profile_must_exist)
{
    tenv_clear();
    char *r = NULL;
    struct err err;
    CHECK_INT(aws_resolve_region(NULL, "ghost", &r, &err), -1);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_CONTAINS(err.message, "profile ghost not found in /nonexistent/aws-config or "
                                "/nonexistent/aws-credentials");
    setenv("AWS_PROFILE", "ghost2", 1);
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), -1);
    CHECK_CONTAINS(err.message, "profile ghost2 not found");
    tenv_clear();
}

TEST(region_shape_is_validated)
{
    tenv_clear();
    char *r = NULL;
    struct err err;
    CHECK_INT(aws_resolve_region("US East", NULL, &r, &err), -1);
    CHECK_INT(err.kind, ERR_USAGE);
    CHECK_CONTAINS(err.message, "--aws-region = 'US East' is not a valid AWS region");
    setenv("AWS_REGION", "us-east-1.evil.com", 1);
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), -1);
    CHECK_CONTAINS(err.message, "AWS_REGION");
    tenv_clear();

    char *dir = tdir_new();
    char *cfg = tdir_write(dir, "config", "[default]\nregion = us_east_1\n");
    setenv("AWS_CONFIG_FILE", cfg, 1);
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), -1);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_CONTAINS(err.message, "region in profile 'default'");
    CHECK_CONTAINS(err.message, cfg);
    tdir_remove(dir);
    free(cfg);
    tenv_clear();

    CHECK(aws_region_is_valid("us-east-1"));
    CHECK(aws_region_is_valid("cn-northwest-1"));
    CHECK(aws_region_is_valid("us-gov-east-1"));
    CHECK(!aws_region_is_valid(""));
    CHECK(!aws_region_is_valid("useast1"));
    CHECK(!aws_region_is_valid("us--east-1"));
    CHECK(!aws_region_is_valid("us-east-"));
    CHECK(!aws_region_is_valid("1us-east"));
}

TEST(region_unreadable_config_is_an_error)
{
    tenv_clear();
    char *dir = tdir_new();
    setenv("AWS_CONFIG_FILE", dir, 1); /* a directory: exists, cannot be read */
    char *r = NULL;
    struct err err;
    CHECK_INT(aws_resolve_region(NULL, NULL, &r, &err), -1);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_CONTAINS(err.message, dir);
    CHECK_CONTAINS(err.message, strerror(EISDIR));
    tdir_remove(dir);
    tenv_clear();
}
