/* The credential providers behind cred_default_chain_new, one per source,
 * plus the chain, the refreshing cache and what they share. Private to
 * aws/creds/ and the tests. */
#ifndef ECSR_AWS_CREDS_PROVIDERS_H
#define ECSR_AWS_CREDS_PROVIDERS_H

#include <time.h>

#include <cjson/cJSON.h>

#include "aws/config.h"
#include "aws/creds.h"
#include "aws/http.h"
#include "util/buf.h"
#include "util/err.h"

/* --- the sources, in the chain's order -------------------------------- */

/* AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (and the
 * legacy AWS_ACCESS_KEY / AWS_SECRET_KEY / AWS_SECURITY_TOKEN). */
struct cred_provider *cred_env_new(void);

/* role_arn with source_profile or credential_source: STS AssumeRole, through
 * `sts`. `cfg` and `http` are borrowed and must outlive the provider. */
struct cred_provider *cred_role_new(const struct aws_shared_config *cfg, const char *profile,
                                    struct http_client *http, const struct cred_sts_ops *sts);

/* AssumeRoleWithWebIdentity. With use_env, AWS_WEB_IDENTITY_TOKEN_FILE,
 * AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME come first, then the profile's
 * web_identity_token_file, role_arn and role_session_name. The token file
 * is read again on every call. */
struct cred_provider *cred_web_identity_new(const struct aws_shared_config *cfg,
                                            const char *profile, const struct cred_sts_ops *sts,
                                            int use_env);

/* IAM Identity Center (SSO): the profile's sso_account_id and sso_role_name,
 * with sso_session (an [sso-session] section) or the legacy sso_start_url
 * and sso_region; the token `aws sso login` cached in ~/.aws/sso/cache,
 * refreshed when it is about to expire (sso-session form), bought into role
 * credentials with the portal's GetRoleCredentials. Endpoints:
 * AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL, the
 * profile's services section or endpoint_url, else the region's.
 * `cfg` and `http` are borrowed. */
struct cred_provider *cred_sso_new(const struct aws_shared_config *cfg, const char *profile,
                                   struct http_client *http);

/* aws_access_key_id / aws_secret_access_key / aws_session_token of a
 * profile: the credentials file's, else the config file's. */
struct cred_provider *cred_profile_keys_new(const struct aws_shared_config *cfg,
                                            const char *profile);

/* credential_process of a profile. */
struct cred_provider *cred_profile_process_new(const struct aws_shared_config *cfg,
                                               const char *profile);
/* Runs `command` with /bin/sh -c; `label` names it in messages ("profile
 * 'x'"). timeout_ms 0: CRED_PROCESS_TIMEOUT_MS. */
#define CRED_PROCESS_TIMEOUT_MS (5L * 60 * 1000)
struct cred_provider *cred_process_new(const char *label, const char *command, long timeout_ms);

/* The credential_process output in `out` (what the process printed), and
 * the credentials document of an IMDS answer; exposed for the fuzz targets. */
int cred_process_parse_output(const char *who, const struct buf *out, struct aws_credentials *creds,
                              struct err *err);
int cred_imds_parse_credentials(const char *who, const struct http_response *resp,
                                struct aws_credentials *out, struct err *err);

/* ECS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
 * cred_ecs_relative_base()) or AWS_CONTAINER_CREDENTIALS_FULL_URI, with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN as Authorization. */
struct cred_provider *cred_ecs_new(struct http_client *http);
/* "http://169.254.170.2" (aws/creds/ecs_host.c); the unit tests link
 * another definition. */
const char *cred_ecs_relative_base(void);

/* EC2 instance metadata (IMDSv2). Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT,
 * the profile's ec2_metadata_service_endpoint, else 169.254.169.254 (or
 * [fd00:ec2::254] with endpoint mode IPv6). AWS_EC2_METADATA_DISABLED=true
 * turns it off. `cfg` may be NULL. */
struct cred_provider *cred_imds_new(struct http_client *http, const struct aws_shared_config *cfg,
                                    const char *profile);

/* --- composition ------------------------------------------------------- */

/* Tries each provider in order; the first that has credentials answers,
 * and keeps answering later calls. Takes ownership of the providers and of
 * `cfg` (may be NULL), which the providers may borrow. When none has
 * credentials, one error lists where it looked and how to configure them. */
struct cred_provider *cred_chain_new(struct cred_provider **providers, size_t n,
                                     struct aws_shared_config *cfg);

struct cred_clock {
    time_t (*now)(void *ud);
    void *ud;
};

/* Refresh this long before temporary credentials expire (less for
 * credentials that live less than twice as long). */
#define CRED_REFRESH_AHEAD_S 300
/* Keep using credentials that could not be refreshed until this close to
 * their expiry. */
#define CRED_MIN_REMAINING_S 60

/* Caches `inner`'s credentials (taking ownership of it). Permanent ones are
 * fetched once; temporary ones again ahead of their expiry. `clock` is
 * copied; NULL: time(). */
struct cred_provider *cred_cache_new(struct cred_provider *inner, const struct cred_clock *clock);

/* --- shared helpers ---------------------------------------------------- */

/* For a source that is not configured: sets *absent and puts `fmt` in err as
 * the reason the chain will list. Returns -1. */
int cred_absent(int *absent, struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append to err's message (truncating at its size); returns -1. */
int cred_err_append(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A non-empty environment variable, or NULL. */
const char *cred_getenv(const char *name);

/* cred_parse_time is in aws/creds.h. "2024-05-01T12:00:00Z" */
void cred_format_time(time_t t, char out[32]);

/* Fill `out` from a JSON object with AccessKeyId, SecretAccessKey,
 * `token_key` (optional) and Expiration (optional ISO 8601). Secrets are
 * registered for scrubbing at once. `who` starts every message. */
int cred_from_json(const cJSON *obj, const char *token_key, const char *who,
                   struct aws_credentials *out, struct err *err);

/* cJSON_Delete after wiping every string in the tree (it held secrets). */
void cred_json_free(cJSON *json);
/* Parse a JSON document that may hold secrets. On failure sets an
 * ERR_CREDENTIALS error "<who> <what> invalid JSON at line L, column C"
 * (never quoting the text) and returns NULL. */
cJSON *cred_json_parse(const char *text, size_t len, const char *who, const char *what,
                       struct err *err);

/* Read a token file (web identity, container authorization): the whole
 * file, trailing whitespace removed; registered as a secret. `what`
 * describes the file for messages ("AWS_WEB_IDENTITY_TOKEN_FILE"). */
int cred_read_token_file(const char *path, const char *what, char **out, struct err *err);

/* One HTTP exchange for the metadata endpoints (IMDS, container): up to
 * `attempts` tries, again after a timeout or a 5xx answer, and after other
 * connection failures too when retry_network is set. On success (any
 * status) `resp` holds the answer; it must be freed whatever the result. */
int cred_http(struct http_client *http, const char *method, const char *url,
              const struct http_headers *headers, long timeout_ms, int attempts, int retry_network,
              struct http_response *resp, struct err *err);
/* http_headers_free after wiping every value (they held tokens). */
void cred_headers_free(struct http_headers *h);
/* A short, printable, scrubbed excerpt of a response body for messages. */
void cred_body_excerpt(const struct http_response *resp, char *out, size_t cap);

/* Rewrite an error from an STS call made for a credential source:
 * "<who>: <Action> failed: <Code>: <message>; <hint>" as ERR_CREDENTIALS,
 * keeping the code, HTTP status and request id. */
void cred_wrap_sts_error(struct err *err, const char *who, const char *action);

#endif
