/* IAM Identity Center (SSO) credentials against a loopback portal that
 * answers GetRoleCredentials (GET /federation/credentials) and SSO OIDC
 * CreateToken (POST /token) as AWS documents them: the sso-session and
 * legacy profile forms, the token cache `aws sso login` writes (its file
 * names are SHA-1 hex digests computed independently, by Python's hashlib),
 * refresh and write-back, the AWS CLI's "aws sso login" advice, endpoints,
 * the chain and SSO as a role's source_profile. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "aws/config.h"
#include "aws/creds.h"
#include "aws/creds/providers.h"
#include "aws/creds/sso_token.h"
#include "aws/http.h"
#include "loopback.h"
#include "test.h"
#include "test_creds_support.h"

#define START_URL "https://my-sso-portal.awsapps.com/start"
/* hashlib.sha1(b"corp").hexdigest(), hashlib.sha1(START_URL).hexdigest() */
#define CACHE_CORP "ee0bfd2552fbd840c02cc48b6e823320543c450f.json"
#define CACHE_LEGACY "c7aaaf71fcc8777ae2475525ed049d39fe16c484.json"

#define ACCESS_OLD "ssoAccessTokenOLDOLDOLDOLDOLDOLDOLDOLDOLD"
#define ACCESS_NEW "ssoAccessTokenNEWNEWNEWNEWNEWNEWNEWNEWNEW"
#define REFRESH_OLD "ssoRefreshTokenOLDOLDOLDOLDOLDOLDOLD"
#define REFRESH_NEW "ssoRefreshTokenNEWNEWNEWNEWNEWNEWNEW"
#define CLIENT_SECRET "ssoClientSecretSSSSSSSSSSSSSSSSSSSSSSSS"
#define ROLE_SECRET "ssoRoleSecretRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
#define ROLE_TOKEN "ssoRoleSessionTokenTTTTTTTTTTTTTTTTTTTTTTT"

/* The portal and SSO OIDC on one loopback server. */
struct portal {
    const char *accepted_token; /* GetRoleCredentials answers 401 to any other */
    int role_status;            /* 0: 200 */
    int token_status;           /* CreateToken: 0: 200 */
    int calls_role, calls_token;
    long long role_expiration_ms;
};

static void portal_handler(const struct loopback_request *req, struct loopback_reply *reply,
                           void *ud)
{
    struct portal *p = ud;
    if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/federation/credentials") == 0) {
        p->calls_role++;
        const char *bearer = loopback_request_header(req, "x-amz-sso_bearer_token");
        if (p->role_status && p->role_status != 200) {
            reply->status = p->role_status;
            buf_puts(&reply->headers, "x-amzn-ErrorType: ResourceNotFoundException:http://x/\r\n");
            buf_puts(&reply->body, "{\"message\":\"No access\"}");
        } else if (!bearer || strcmp(bearer, p->accepted_token) != 0) {
            reply->status = 401;
            buf_puts(&reply->headers, "x-amzn-ErrorType: UnauthorizedException\r\n");
            buf_puts(&reply->body, "{\"message\":\"Session token not found or invalid\"}");
        } else {
            buf_printf(&reply->body,
                       "{\"roleCredentials\":{\"accessKeyId\":\"ASIASSOROLE\","
                       "\"secretAccessKey\":\"%s\",\"sessionToken\":\"%s\",\"expiration\":%lld}}",
                       ROLE_SECRET, ROLE_TOKEN, p->role_expiration_ms);
        }
        buf_puts(&reply->headers, "Content-Type: application/json\r\n");
        return;
    }
    if (strcmp(req->method, "POST") == 0 && strcmp(req->path, "/token") == 0) {
        p->calls_token++;
        if (p->token_status && p->token_status != 200) {
            reply->status = p->token_status;
            buf_puts(&reply->headers, "x-amzn-ErrorType: InvalidGrantException\r\n");
            buf_puts(&reply->body, "{\"error\":\"invalid_grant\",\"error_description\":"
                                   "\"Invalid refresh token provided\"}");
        } else {
            buf_printf(&reply->body,
                       "{\"accessToken\":\"%s\",\"tokenType\":\"Bearer\",\"expiresIn\":3600,"
                       "\"refreshToken\":\"%s\"}",
                       ACCESS_NEW, REFRESH_NEW);
        }
        buf_puts(&reply->headers, "Content-Type: application/json\r\n");
        return;
    }
    reply->status = 404;
    buf_puts(&reply->body, "{\"message\":\"no such route\"}");
}

struct sso_env {
    char *dir;       /* HOME and the config files */
    char *cache_dir; /* HOME/.aws/sso/cache */
    char *old_home;
    struct loopback *lb;
    struct portal portal;
    struct http_client *http;
    struct aws_shared_config sc;
};

static void mkdir_p(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0700);
            *p = '/';
        }
    }
    mkdir(tmp, 0700);
}

/* A clean environment, HOME in a new directory, the portal started and
 * both SSO endpoints pointed at it, and `config` loaded. */
static void sso_env_start(struct sso_env *e, const char *config)
{
    memset(e, 0, sizeof(*e));
    const char *home = getenv("HOME");
    e->old_home = home ? xstrdup(home) : NULL;
    e->dir = load_files(&e->sc, config, NULL); /* clears the environment first */
    setenv("HOME", e->dir, 1);
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s/.aws/sso/cache", e->dir);
    e->cache_dir = buf_steal(&b);
    mkdir_p(e->cache_dir);
    e->portal.accepted_token = ACCESS_OLD;
    e->portal.role_expiration_ms = ((long long)time(NULL) + 3600) * 1000;
    e->lb = loopback_start();
    loopback_set_handler(e->lb, portal_handler, &e->portal);
    setenv("AWS_ENDPOINT_URL_SSO", loopback_url(e->lb), 1);
    setenv("AWS_ENDPOINT_URL_SSO_OIDC", loopback_url(e->lb), 1);
    struct http_options o = {0};
    struct err err;
    e->http = http_client_new(&o, &err);
    if (!e->http)
        abort();
}

static void sso_env_stop(struct sso_env *e)
{
    http_client_free(e->http);
    loopback_stop(e->lb);
    aws_shared_config_free(&e->sc);
    if (e->old_home)
        setenv("HOME", e->old_home, 1);
    else
        unsetenv("HOME");
    free(e->old_home);
    free(e->cache_dir);
    tdir_remove(e->dir);
}

/* Write a cache file as `aws sso login` does; expires `in` seconds from now. */
static void write_token(const struct sso_env *e, const char *file, long in, int refreshable)
{
    char when[32], reg[32];
    cred_format_time(time(NULL) + in, when);
    cred_format_time(time(NULL) + 30 * 86400, reg);
    struct buf b = BUF_INIT;
    buf_printf(&b,
               "{\"startUrl\": \"%s\", \"region\": \"us-east-1\", \"accessToken\": \"%s\", "
               "\"expiresAt\": \"%s\"",
               START_URL, ACCESS_OLD, when);
    if (refreshable)
        buf_printf(&b,
                   ", \"clientId\": \"client-123\", \"clientSecret\": \"%s\", "
                   "\"registrationExpiresAt\": \"%s\", \"refreshToken\": \"%s\"",
                   CLIENT_SECRET, reg, REFRESH_OLD);
    buf_puts(&b, "}");
    char *p = tdir_write(e->cache_dir, file, buf_cstr(&b));
    free(p);
    buf_free(&b);
}

static cJSON *read_cache(const struct sso_env *e, const char *file, mode_t *mode)
{
    struct buf path = BUF_INIT;
    buf_printf(&path, "%s/%s", e->cache_dir, file);
    FILE *f = fopen(buf_cstr(&path), "r");
    struct stat st;
    *mode = stat(buf_cstr(&path), &st) == 0 ? st.st_mode & 0777 : 0;
    buf_free(&path);
    if (!f)
        return NULL;
    char text[8192];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    return cJSON_Parse(text);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

#define SESSION_CONFIG                                                                             \
    "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"                           \
    "sso_role_name = Deploy+Ops\nregion = eu-west-1\n"                                             \
    "[sso-session corp]\nsso_start_url = " START_URL "\nsso_region = us-east-1\n"                  \
    "sso_registration_scopes = sso:account:access\n"

#define LEGACY_CONFIG                                                                              \
    "[profile old]\nsso_start_url = " START_URL "\nsso_region = us-east-1\n"                       \
    "sso_account_id = 111122223333\nsso_role_name = Deploy\n"

static int get_creds(struct sso_env *e, const char *profile, struct aws_credentials *c,
                     struct err *err)
{
    struct cred_provider *p = cred_sso_new(&e->sc, profile, e->http);
    int rc = cred_provider_get(p, c, err);
    cred_provider_free(p);
    return rc;
}

TEST(sso_session_form_buys_role_credentials_with_the_cached_token)
{
    struct sso_env e;
    sso_env_start(&e, SESSION_CONFIG);
    write_token(&e, CACHE_CORP, 3600, 1);
    struct aws_credentials c;
    struct err err;
    int rc = get_creds(&e, "dev", &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIASSOROLE");
    CHECK_STR(c.secret_access_key, ROLE_SECRET);
    CHECK_STR(c.session_token, ROLE_TOKEN);
    CHECK_INT(c.expiration, e.portal.role_expiration_ms / 1000);
    CHECK_CONTAINS(c.source, "profile 'dev' (SSO, account 111122223333, role Deploy+Ops)");
    aws_credentials_free(&c);
    CHECK_INT(loopback_request_count(e.lb), 1);
    const struct loopback_request *r = loopback_request_at(e.lb, 0);
    CHECK_STR(r->method, "GET");
    CHECK_STR(r->path, "/federation/credentials");
    CHECK_STR(r->query, "account_id=111122223333&role_name=Deploy%2BOps");
    CHECK_STR(loopback_request_header(r, "x-amz-sso_bearer_token"), ACCESS_OLD);
    CHECK(loopback_request_header(r, "Authorization") == NULL); /* unsigned */
    CHECK_INT(e.portal.calls_token, 0);                         /* an hour left: no refresh */
    sso_env_stop(&e);
}

TEST(legacy_form_keys_the_cache_by_start_url_and_never_refreshes)
{
    struct sso_env e;
    sso_env_start(&e, LEGACY_CONFIG);
    write_token(&e, CACHE_LEGACY, 300, 1); /* inside the refresh window */
    struct aws_credentials c;
    struct err err;
    int rc = get_creds(&e, "old", &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIASSOROLE");
    aws_credentials_free(&c);
    CHECK_INT(e.portal.calls_token, 0);
    CHECK_INT(e.portal.calls_role, 1);

    write_token(&e, CACHE_LEGACY, -60, 1); /* expired: botocore stops before the portal */
    CHECK_INT(get_creds(&e, "old", &c, &err), -1);
    CHECK_INT(err.kind, ERR_CREDENTIALS);
    CHECK_CONTAINS(err.message, "the cached token expired at");
    CHECK_CONTAINS(err.message, "To refresh this SSO session run aws sso login --profile old");
    CHECK_INT(e.portal.calls_role, 1);
    CHECK_INT(e.portal.calls_token, 0);
    sso_env_stop(&e);
}

TEST(missing_login_says_run_aws_sso_login)
{
    struct sso_env e;
    sso_env_start(&e, SESSION_CONFIG);
    struct aws_credentials c;
    struct err err;
    CHECK_INT(get_creds(&e, "dev", &c, &err), -1);
    CHECK_INT(err.kind, ERR_CREDENTIALS);
    CHECK_CONTAINS(err.message, "no cached token for sso-session corp");
    CHECK_CONTAINS(err.message, CACHE_CORP " is missing");
    CHECK_CONTAINS(err.message, "run aws sso login --profile dev");
    CHECK_INT(loopback_request_count(e.lb), 0);

    /* A cache file that is not a token is named, not quoted. */
    char *p = tdir_write(e.cache_dir, CACHE_CORP, "{\"accessToken\": \"" ACCESS_OLD "\"}");
    free(p);
    CHECK_INT(get_creds(&e, "dev", &c, &err), -1);
    CHECK_CONTAINS(err.message, CACHE_CORP " is invalid: it needs accessToken and an expiresAt");
    CHECK(strstr(err.message, ACCESS_OLD) == NULL);
    sso_env_stop(&e);
}

TEST(token_about_to_expire_is_refreshed_and_written_back)
{
    struct sso_env e;
    sso_env_start(&e, SESSION_CONFIG);
    write_token(&e, CACHE_CORP, 300, 1);
    e.portal.accepted_token = ACCESS_NEW;
    time_t before = time(NULL);
    struct aws_credentials c;
    struct err err;
    int rc = get_creds(&e, "dev", &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK_INT(e.portal.calls_token, 1);
    CHECK_INT(loopback_request_count(e.lb), 2);
    const struct loopback_request *r = loopback_request_at(e.lb, 0);
    CHECK_STR(r->method, "POST");
    CHECK_STR(r->path, "/token");
    cJSON *body = cJSON_Parse(r->body);
    CHECK(body);
    CHECK_STR(jstr(body, "grantType"), "refresh_token");
    CHECK_STR(jstr(body, "clientId"), "client-123");
    CHECK_STR(jstr(body, "clientSecret"), CLIENT_SECRET);
    CHECK_STR(jstr(body, "refreshToken"), REFRESH_OLD);
    cJSON_Delete(body);
    CHECK_STR(loopback_request_header(loopback_request_at(e.lb, 1), "x-amz-sso_bearer_token"),
              ACCESS_NEW);

    mode_t mode;
    cJSON *cache = read_cache(&e, CACHE_CORP, &mode);
    CHECK(cache);
    CHECK_INT(mode, 0600);
    CHECK_STR(jstr(cache, "accessToken"), ACCESS_NEW);
    CHECK_STR(jstr(cache, "refreshToken"), REFRESH_NEW);
    CHECK_STR(jstr(cache, "clientId"), "client-123");
    CHECK_STR(jstr(cache, "clientSecret"), CLIENT_SECRET);
    CHECK_STR(jstr(cache, "startUrl"), START_URL);
    CHECK_STR(jstr(cache, "region"), "us-east-1");
    CHECK(jstr(cache, "registrationExpiresAt"));
    time_t at;
    CHECK_INT(sso_token_parse_time(jstr(cache, "expiresAt"), &at), 0);
    CHECK(at >= before + 3600 && at <= time(NULL) + 3600);
    cJSON_Delete(cache);
    sso_env_stop(&e);
}

TEST(failed_refresh_keeps_a_valid_token_and_ends_an_expired_one)
{
    struct sso_env e;
    sso_env_start(&e, SESSION_CONFIG);
    e.portal.token_status = 400;
    write_token(&e, CACHE_CORP, 300, 1);
    tlog_start();
    struct aws_credentials c;
    struct err err;
    int rc = get_creds(&e, "dev", &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK_CONTAINS(tlog_text(), "InvalidGrantException: Invalid refresh token provided");
    CHECK_CONTAINS(tlog_text(), "using the cached token until it expires");
    mode_t mode;
    cJSON *cache = read_cache(&e, CACHE_CORP, &mode);
    CHECK_STR(jstr(cache, "accessToken"), ACCESS_OLD); /* not rewritten */
    cJSON_Delete(cache);

    write_token(&e, CACHE_CORP, -60, 1);
    CHECK_INT(get_creds(&e, "dev", &c, &err), -1);
    CHECK_CONTAINS(err.message, "the cached token has expired and refresh failed");
    CHECK_CONTAINS(err.message, "HTTP 400 InvalidGrantException");
    CHECK_CONTAINS(err.message, "run aws sso login --profile dev");

    /* Without a refresh token there is nothing to refresh with. */
    write_token(&e, CACHE_CORP, -60, 0);
    int calls = e.portal.calls_token;
    CHECK_INT(get_creds(&e, "dev", &c, &err), -1);
    CHECK_CONTAINS(err.message, "has no refreshToken");
    CHECK_CONTAINS(err.message, "run aws sso login --profile dev");
    CHECK_INT(e.portal.calls_token, calls);
    for (const char *s = tlog_text(); *s; s++)
        CHECK(strncmp(s, "ssoRefresh", 10) != 0 && strncmp(s, "ssoAccess", 9) != 0 &&
              strncmp(s, "ssoClientSecret", 15) != 0);
    tlog_stop();

    /* An expired token that refreshes is as good as a fresh login. */
    e.portal.token_status = 0;
    e.portal.accepted_token = ACCESS_NEW;
    write_token(&e, CACHE_CORP, -60, 1);
    rc = get_creds(&e, "dev", &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    sso_env_stop(&e);
}

TEST(portal_refusals)
{
    struct sso_env e;
    sso_env_start(&e, SESSION_CONFIG);
    write_token(&e, CACHE_CORP, 3600, 1);
    e.portal.accepted_token = "someone-elses-token";
    struct aws_credentials c;
    struct err err;
    CHECK_INT(get_creds(&e, "dev", &c, &err), -1);
    CHECK_CONTAINS(err.message, "HTTP 401 UnauthorizedException: Session token not found");
    CHECK_CONTAINS(err.message, "run aws sso login --profile dev");
    CHECK(strstr(err.message, ACCESS_OLD) == NULL);

    e.portal.role_status = 404;
    CHECK_INT(get_creds(&e, "dev", &c, &err), -1);
    CHECK_CONTAINS(err.message, "HTTP 404 ResourceNotFoundException: No access");
    CHECK_CONTAINS(err.message, "check sso_account_id and sso_role_name");
    CHECK_INT(err.http_status, 404);
    sso_env_stop(&e);
}

TEST(misconfigured_profiles_name_what_is_missing)
{
    struct sso_env e;
    sso_env_start(&e, "[profile a]\nsso_account_id = 1\nsso_role_name = R\n"
                      "[profile b]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n"
                      "[profile c]\nsso_session = s\nsso_account_id = 1\nsso_role_name = R\n"
                      "sso_region = eu-west-1\n"
                      "[profile d]\nsso_session = s2\nsso_role_name = R\n"
                      "[profile e]\nsso_start_url = x\nsso_region = not a region\n"
                      "sso_account_id = 1\nsso_role_name = R\n"
                      "[profile plain]\nregion = us-east-1\n"
                      "[sso-session s]\nsso_start_url = " START_URL "\nsso_region = us-east-1\n"
                      "[sso-session s2]\nsso_start_url = " START_URL "\nsso_region = us-east-1\n");
    struct aws_credentials c;
    struct err err;
    CHECK_INT(get_creds(&e, "a", &c, &err), -1);
    CHECK_INT(err.kind, ERR_CONFIG);
    CHECK_CONTAINS(err.message, "profile 'a' is configured to use SSO but is missing required "
                                "configuration: sso_start_url, sso_region");
    CHECK_INT(get_creds(&e, "b", &c, &err), -1);
    CHECK_CONTAINS(err.message, "sso_session = nope, but");
    CHECK_CONTAINS(err.message, "has no [sso-session nope] section");
    CHECK_INT(get_creds(&e, "c", &c, &err), -1);
    CHECK_CONTAINS(err.message, "sso_region is eu-west-1 in the profile but us-east-1 in "
                                "[sso-session s]");
    CHECK_INT(get_creds(&e, "d", &c, &err), -1);
    CHECK_CONTAINS(err.message, "missing required configuration: sso_account_id (in the "
                                "profile or its sso-session)");
    CHECK_INT(get_creds(&e, "e", &c, &err), -1);
    CHECK_CONTAINS(err.message, "sso_region = 'not a region' is not a valid AWS region");
    /* Not an SSO profile: absent, so the chain moves on. */
    struct cred_provider *p = cred_sso_new(&e.sc, "plain", e.http);
    int absent = 0;
    CHECK_INT(cred_provider_try(p, &c, &absent, &err), -1);
    CHECK_INT(absent, 1);
    cred_provider_free(p);
    CHECK_INT(loopback_request_count(e.lb), 0);
    sso_env_stop(&e);
}

/* The portal URL from each configured place, most specific first. */
TEST(endpoints_from_environment_services_section_and_profile)
{
    struct sso_env e;
    struct loopback *other = loopback_start();
    struct buf cfg = BUF_INIT;
    buf_printf(&cfg,
               SESSION_CONFIG "[profile svc]\nsso_session = corp\nsso_account_id = 1\n"
                              "sso_role_name = R\nservices = local\n"
                              "[profile ep]\nsso_session = corp\nsso_account_id = 1\n"
                              "sso_role_name = R\nendpoint_url = %s\n"
                              "[services local]\nsso =\n  endpoint_url = %s\n",
               loopback_url(other), loopback_url(other));
    sso_env_start(&e, buf_cstr(&cfg));
    buf_free(&cfg);
    write_token(&e, CACHE_CORP, 3600, 1);
    struct aws_credentials c;
    struct err err;
    /* AWS_ENDPOINT_URL_SSO (set by sso_env_start) wins over the profile. */
    int rc = get_creds(&e, "svc", &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK_INT(e.portal.calls_role, 1);
    /* Then AWS_ENDPOINT_URL. */
    unsetenv("AWS_ENDPOINT_URL_SSO");
    setenv("AWS_ENDPOINT_URL", loopback_url(e.lb), 1);
    rc = get_creds(&e, "svc", &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    aws_credentials_free(&c);
    CHECK_INT(e.portal.calls_role, 2);
    unsetenv("AWS_ENDPOINT_URL");
    /* Then the services section, then the profile's endpoint_url. */
    loopback_push(other, 200, "Content-Type: application/json\r\n",
                  "{\"roleCredentials\":{\"accessKeyId\":\"ASIAOTHER\",\"secretAccessKey\":"
                  "\"otherSecretOOOOOOOOOOOOO\",\"sessionToken\":\"otherTokenOOOOOOOO\","
                  "\"expiration\":4102444800000}}");
    loopback_push(other, 200, "Content-Type: application/json\r\n",
                  "{\"roleCredentials\":{\"accessKeyId\":\"ASIAOTHER2\",\"secretAccessKey\":"
                  "\"otherSecretOOOOOOOOOOOOO\",\"sessionToken\":\"otherTokenOOOOOOOO\","
                  "\"expiration\":4102444800000}}");
    rc = get_creds(&e, "svc", &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAOTHER");
    CHECK_INT(c.expiration, 4102444800);
    aws_credentials_free(&c);
    rc = get_creds(&e, "ep", &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAOTHER2");
    aws_credentials_free(&c);
    /* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: the real portal's name. */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    setenv("AWS_ENDPOINT_URL_SSO", loopback_url(e.lb), 1);
    /* Through a proxy where nothing listens, so nothing leaves the machine. */
    setenv("https_proxy", "http://127.0.0.1:1", 1);
    CHECK_INT(get_creds(&e, "dev", &c, &err), -1);
    unsetenv("https_proxy");
    CHECK_MSG(strstr(err.message, "at https://portal.sso.us-east-1.amazonaws.com "), "%s",
              err.message);
    CHECK_INT(e.portal.calls_role, 2);
    loopback_stop(other);
    sso_env_stop(&e);
}

TEST(chain_takes_sso_before_keys_and_sso_serves_as_source_profile)
{
    struct sso_env e;
    sso_env_start(&e, SESSION_CONFIG "[profile both]\nsso_session = corp\n"
                                     "sso_account_id = 111122223333\nsso_role_name = Deploy\n"
                                     "aws_access_key_id = AKIAKEYS\n"
                                     "aws_secret_access_key = keysSecretKKKKKKKKKKKKKKKKK\n"
                                     "[profile deploy]\nrole_arn = arn:aws:iam::2:role/ci\n"
                                     "source_profile = dev\n");
    write_token(&e, CACHE_CORP, 3600, 1);
    struct fake_sts sts;
    fake_sts_init(&sts);
    struct cred_chain_options o = {.profile = "both", .http = e.http, .sts = &sts.ops};
    struct err err;
    struct cred_provider *chain = cred_default_chain_new(&o, &err);
    CHECK_MSG(chain, "%s", err.message);
    struct aws_credentials c;
    int rc = cred_provider_get(chain, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIASSOROLE"); /* SSO, as botocore orders it */
    aws_credentials_free(&c);
    cred_provider_free(chain);

    o.profile = "deploy";
    chain = cred_default_chain_new(&o, &err);
    CHECK_MSG(chain, "%s", err.message);
    rc = cred_provider_get(chain, &c, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(c.access_key_id, "ASIAROLEKEY");
    CHECK_STR(sts.history, "arn:aws:iam::2:role/ci<-ASIASSOROLE;");
    aws_credentials_free(&c);
    cred_provider_free(chain);
    sso_env_stop(&e);
}

TEST(cache_file_names_and_times)
{
    const char *home = getenv("HOME");
    char *old = home ? xstrdup(home) : NULL;
    setenv("HOME", "/home/someone", 1);
    char *path = sso_token_cache_path("corp");
    CHECK_STR(path, "/home/someone/.aws/sso/cache/" CACHE_CORP);
    free(path);
    path = sso_token_cache_path(START_URL);
    CHECK_STR(path, "/home/someone/.aws/sso/cache/" CACHE_LEGACY);
    free(path);
    if (old)
        setenv("HOME", old, 1);
    free(old);
    time_t t;
    /* The forms the CLI and SDKs have written. */
    CHECK_INT(sso_token_parse_time("2024-05-01T12:00:00Z", &t), 0);
    CHECK_INT(t, 1714564800);
    CHECK_INT(sso_token_parse_time("2024-05-01T12:00:00UTC", &t), 0);
    CHECK_INT(t, 1714564800);
    CHECK_INT(sso_token_parse_time("2024-05-01T12:00:00.000Z", &t), 0);
    CHECK_INT(t, 1714564800);
    CHECK_INT(sso_token_parse_time("2024-05-01T14:00:00+02:00", &t), 0);
    CHECK_INT(t, 1714564800);
    CHECK_INT(sso_token_parse_time("tomorrow", &t), -1);
    CHECK_INT(sso_token_parse_time("UTC", &t), -1);
}
