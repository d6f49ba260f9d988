/* Keeps the credentials a provider returned and asks again only when they
 * are about to expire: CRED_REFRESH_AHEAD_S before (half their lifetime for
 * short-lived ones). Permanent credentials are fetched once. When a refresh
 * fails while the current credentials still have more than
 * CRED_MIN_REMAINING_S to live, they keep being used (with a warning) and the
 * next call tries again, as the SDKs do for IMDS and container credentials;
 * closer to expiry the failure is returned. */
#include <stdlib.h>
#include <string.h>

#include "aws/creds/providers.h"
#include "util/log.h"
#include "util/mem.h"

struct cache {
    struct cred_provider base;
    struct cred_provider *inner; /* owned */
    struct cred_clock clock;
    struct aws_credentials creds;
    int have;
    time_t refresh_at; /* when creds.expiration != 0 */
};

static time_t system_now(void *ud)
{
    (void)ud;
    return time(NULL);
}

static void keep(struct cache *c, struct aws_credentials *fresh, time_t now)
{
    aws_credentials_free(&c->creds);
    c->creds = *fresh;
    memset(fresh, 0, sizeof(*fresh));
    c->have = 1;
    if (c->creds.expiration) {
        time_t lifetime = c->creds.expiration - now;
        time_t ahead = lifetime >= 2 * CRED_REFRESH_AHEAD_S ? CRED_REFRESH_AHEAD_S : lifetime / 2;
        c->refresh_at = c->creds.expiration - ahead;
    }
}

static int cache_get(struct cred_provider *self, struct aws_credentials *out, int *absent,
                     struct err *err)
{
    struct cache *c = (struct cache *)self;
    time_t now = c->clock.now(c->clock.ud);
    if (c->have && (c->creds.expiration == 0 || now < c->refresh_at)) {
        aws_credentials_copy(out, &c->creds);
        return 0;
    }
    struct aws_credentials fresh;
    int inner_absent = 0;
    int rc = cred_provider_try(c->inner, &fresh, &inner_absent, err);
    if (rc == 0 && fresh.expiration && fresh.expiration <= now) {
        char when[32], at[32];
        cred_format_time(fresh.expiration, when);
        cred_format_time(now, at);
        err_set(err, ERR_CREDENTIALS,
                "%s returned credentials that expired at %s (it is now %s); renew them at the "
                "source, or check the system clock",
                fresh.source ? fresh.source : c->inner->name, when, at);
        aws_credentials_free(&fresh);
        rc = -1;
        inner_absent = 0;
    }
    if (rc == 0) {
        keep(c, &fresh, now);
        if (c->creds.expiration) {
            char when[32];
            cred_format_time(c->creds.expiration, when);
            log_debug("credentials from %s, valid until %s", c->creds.source, when);
        }
        aws_credentials_copy(out, &c->creds);
        return 0;
    }
    if (c->have && c->creds.expiration - now > CRED_MIN_REMAINING_S) {
        char when[32];
        cred_format_time(c->creds.expiration, when);
        log_warn("could not refresh credentials (%s); using the current ones, valid until %s",
                 err->message, when);
        aws_credentials_copy(out, &c->creds);
        return 0;
    }
    *absent = inner_absent;
    return -1;
}

static void cache_destroy(struct cred_provider *self)
{
    struct cache *c = (struct cache *)self;
    cred_provider_free(c->inner);
    aws_credentials_free(&c->creds);
    free(c);
}

struct cred_provider *cred_cache_new(struct cred_provider *inner, const struct cred_clock *clock)
{
    struct cache *c = xcalloc(1, sizeof(*c));
    c->inner = inner;
    c->clock.now = system_now;
    if (clock && clock->now)
        c->clock = *clock;
    c->base.name = inner->name;
    c->base.get = cache_get;
    c->base.destroy = cache_destroy;
    return &c->base;
}
