/* The IAM Identity Center (SSO) token cache that `aws sso login` writes:
 * ~/.aws/sso/cache/<sha1 hex>.json, keyed by the sso-session's name (or, in
 * the legacy profile form, by sso_start_url), as botocore's SSOTokenLoader
 * reads it. With the sso-session form the SDKs refresh a token that is
 * about to expire through SSO OIDC CreateToken (refresh_token grant) and
 * write the cache back (botocore's SSOTokenProvider). Private to
 * aws/creds/ and the tests. */
#ifndef ECSR_AWS_CREDS_SSO_TOKEN_H
#define ECSR_AWS_CREDS_SSO_TOKEN_H

#include <time.h>

#include <cjson/cJSON.h>

#include "aws/http.h"
#include "util/err.h"

/* botocore's SSOTokenProvider refreshes a token with less than this left. */
#define SSO_TOKEN_REFRESH_WINDOW_S (15 * 60)

struct sso_token {
    char *path;               /* the cache file */
    cJSON *doc;               /* the whole document; holds secrets, wiped when freed */
    const char *access_token; /* in doc */
    time_t expires_at;
};

/* ~/.aws/sso/cache/<sha1 hex of key>.json, a new string. */
char *sso_token_cache_path(const char *key);

/* Read the cache file. 0: loaded. -1 with *missing = 1: there is no such
 * file (not logged in); -1 with *missing = 0: unreadable, not JSON, or
 * without accessToken / expiresAt (the message names the file, never its
 * contents). */
int sso_token_load(const char *path, struct sso_token *tok, int *missing, struct err *err);
void sso_token_free(struct sso_token *tok);

/* An expiresAt / registrationExpiresAt time: RFC 3339 ("...Z", offsets,
 * fractions) or the older "2024-05-01T12:00:00UTC" that botocore's cache
 * wrote. Returns 0 or -1. */
int sso_token_parse_time(const char *s, time_t *out);

/* Trade the token's refreshToken for a new access token with SSO OIDC
 * CreateToken at `oidc_url` (https://oidc.<region>.amazonaws.com or an
 * override), then write the cache file back as botocore does (startUrl,
 * region, accessToken, expiresAt, clientId, clientSecret,
 * registrationExpiresAt, and refreshToken when CreateToken returned one).
 * On success `tok` holds the new token. -1 when the token cannot be
 * refreshed (no refresh token or client registration, registration expired,
 * CreateToken refused or unreachable, cache not writable): `tok` is
 * unchanged and err says why. */
int sso_token_refresh(struct http_client *http, const char *oidc_url, const char *start_url,
                      const char *sso_region, time_t now, struct sso_token *tok, struct err *err);

/* --- what the SSO provider and the token refresh share ---------------- */

#define SSO_HTTP_TIMEOUT_MS 10000
#define SSO_HTTP_ATTEMPTS 3

/* base (without its trailing '/') + path_and_query; a new string. */
char *sso_url(const char *base, const char *path_and_query);
/* One unsigned call to the SSO portal or SSO OIDC, again after a timeout,
 * a connection failure, a 429 or a 5xx, up to SSO_HTTP_ATTEMPTS times.
 * `resp` must be zeroed by the caller and freed whatever the result. */
int sso_http(struct http_client *http, const struct http_request *req, struct http_response *resp,
             struct err *err);
/* "HTTP 401 UnauthorizedException: Session token not found or invalid"
 * from a rest-json error answer, scrubbed of secrets. */
void sso_error_text(const struct http_response *resp, char *out, size_t cap);

#endif
