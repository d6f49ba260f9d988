#include "aws/fanout.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct fanout {
    struct aws_client *c;
    struct cred_provider *snapshot; /* the credentials, read once */
    size_t n;
    aws_fanout_job job;
    void *userdata;
    int *ok;
    /* The error of the first job (by index) that failed: one, not one per
     * job (a struct err is 1.4 kB; a thousand terminations took 1.4 MB). */
    struct err first_err;
    size_t first_failed; /* n: none failed */
    pthread_mutex_t lock;
    size_t next; /* the next job to take */
    struct aws_stats stats;
};

struct worker {
    struct fanout *f;
    pthread_t thread;
    struct aws_client client;
    struct http_client *http;
    struct err setup_err;
    int setup_failed;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct fanout *f = w->f;
    for (;;) {
        pthread_mutex_lock(&f->lock);
        size_t i = f->next < f->n ? f->next++ : f->n;
        pthread_mutex_unlock(&f->lock);
        if (i == f->n)
            break;
        struct err e;
        err_clear(&e);
        f->ok[i] = f->job(&w->client, i, f->userdata, &e) == 0;
        if (!f->ok[i]) {
            pthread_mutex_lock(&f->lock);
            if (i < f->first_failed) {
                f->first_failed = i;
                f->first_err = e;
            }
            pthread_mutex_unlock(&f->lock);
        }
    }
    return NULL;
}

/* Every job on the caller's own client, one after another; what the calls
 * learn (statistics, retry quota, jitter state) stays with that client. */
static void work_here(struct fanout *f, struct aws_client *c)
{
    struct worker w;
    memset(&w, 0, sizeof(w));
    w.f = f;
    w.client = *c;
    work(&w);
    c->stats = w.client.stats;
    c->retry_quota = w.client.retry_quota;
    c->rng_state = w.client.rng_state;
}

static void add_stats(struct aws_stats *to, const struct aws_stats *from)
{
    to->calls += from->calls;
    to->attempts += from->attempts;
    to->retries += from->retries;
    to->throttled += from->throttled;
}

int aws_fanout(struct aws_client *c, size_t n, int max_workers, aws_fanout_job job, void *userdata,
               int *ok, struct err *first_err)
{
    err_clear(first_err);
    if (n == 0)
        return 0;
    struct fanout f;
    memset(&f, 0, sizeof(f));
    f.c = c;
    f.n = n;
    f.job = job;
    f.userdata = userdata;
    int *ok_local = ok ? ok : xcalloc(n, sizeof(*ok_local));
    f.ok = ok_local;
    f.first_failed = n;
    pthread_mutex_init(&f.lock, NULL);

    int workers = max_workers < 1 ? 1 : max_workers;
    if ((size_t)workers > n)
        workers = (int)n;
    if (workers > 1 && c->creds) {
        /* Workers sign with one snapshot: a refresh inside the fan-out would
         * touch the shared cache from many threads. */
        struct aws_credentials creds;
        if (cred_provider_get(c->creds, &creds, first_err) != 0) {
            if (!ok)
                free(ok_local);
            pthread_mutex_destroy(&f.lock);
            return -1;
        }
        f.snapshot =
            cred_static_new(creds.access_key_id, creds.secret_access_key, creds.session_token);
        aws_credentials_free(&creds);
    }

    if (workers == 1) {
        work_here(&f, c);
    } else {
        struct worker *ws = xcalloc((size_t)workers, sizeof(*ws));
        int started = 0;
        for (int k = 0; k < workers; k++) {
            struct worker *w = &ws[k];
            w->f = &f;
            w->http = http_client_clone(c->http, &w->setup_err);
            if (!w->http) {
                w->setup_failed = 1;
                continue;
            }
            aws_client_init(&w->client, w->http, f.snapshot, c->region, c->endpoint_url);
            w->client.retry = c->retry;
            w->client.interrupted = c->interrupted;
            w->client.fixed_time = c->fixed_time;
            w->client.allow_plain_http = c->allow_plain_http;
            w->client.adaptive = c->adaptive; /* one rate limit for them all */
            w->client.rng_state ^= (uint64_t)(k + 1) * 0x9e3779b97f4a7c15ULL;
            if (pthread_create(&w->thread, NULL, work, w) != 0) {
                w->setup_failed = 1;
                err_set(&w->setup_err, ERR_INTERNAL, "cannot start a worker thread");
                aws_client_cleanup(&w->client);
                http_client_free(w->http);
                w->http = NULL;
                continue;
            }
            started++;
        }
        if (started == 0) {
            /* No thread could start: do the work here, one after another. */
            work_here(&f, c);
        }
        for (int k = 0; k < workers; k++) {
            struct worker *w = &ws[k];
            if (w->setup_failed)
                continue;
            pthread_join(w->thread, NULL);
            add_stats(&c->stats, &w->client.stats);
            aws_client_cleanup(&w->client);
            http_client_free(w->http);
        }
        free(ws);
    }

    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (!ok_local[i])
            rc = -1;
    if (rc != 0)
        *first_err = f.first_err;
    cred_provider_free(f.snapshot);
    if (!ok)
        free(ok_local);
    pthread_mutex_destroy(&f.lock);
    return rc;
}
