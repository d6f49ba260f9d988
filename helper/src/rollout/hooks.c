/* Waits on lifecycle hooks. See hooks.h. */
#include "rollout/hooks.h"

#include <stdio.h>
#include <string.h>

long hook_heartbeat_s(const struct hook_timeout *h)
{
    return h->heartbeat_s > 0 ? h->heartbeat_s : HOOK_DEFAULT_HEARTBEAT_S;
}

long hook_global_s(const struct hook_timeout *h)
{
    if (h->global_s > 0)
        return h->global_s;
    long hb = hook_heartbeat_s(h);
    return hb > HOOK_MAX_GLOBAL_S / 100 ? HOOK_MAX_GLOBAL_S : 100 * hb;
}

void hook_format_duration(long s, char *buf, size_t cap)
{
    if (s < 120)
        snprintf(buf, cap, "%ld s", s);
    else if (s < 7200 || s % 3600 != 0)
        snprintf(buf, cap, "%ld min", (s + 59) / 60);
    else
        snprintf(buf, cap, "%ld h", s / 3600);
}

void hook_hold_assess(const struct hook_timeout *hooks, size_t n, int terminating, int held,
                      long base_s, long waited_s, long held_s, struct hook_hold *out)
{
    memset(out, 0, sizeof(*out));
    out->held = held;
    out->limit_s = base_s;
    long hb = 0, global = 0;
    char names[160] = "";
    size_t used = 0;
    int n_hooks = 0;
    for (size_t i = 0; i < n; i++) {
        const struct hook_timeout *h = &hooks[i];
        if (!h->terminating != !terminating)
            continue;
        if (hook_heartbeat_s(h) > hb)
            hb = hook_heartbeat_s(h);
        if (hook_global_s(h) > global)
            global = hook_global_s(h);
        if (used < sizeof(names)) {
            int w = snprintf(names + used, sizeof(names) - used, "%s%s", n_hooks ? ", " : "",
                             h->name ? h->name : "?");
            if (w > 0)
                used += (size_t)w;
        }
        n_hooks++;
    }
    if (!n_hooks)
        return;
    char dur[32];
    if (held <= 0) {
        out->limit_s = base_s + (held_s > 0 ? held_s : 0);
        return;
    }
    if (waited_s > base_s + hb) {
        out->beyond_heartbeat = 1;
        out->limit_s = base_s + global;
        hook_format_duration(global, dur, sizeof(dur));
        snprintf(out->what, sizeof(out->what),
                 "%d instance(s) held by lifecycle hook%s %.100s beyond the heartbeat timeout "
                 "(its owner records heartbeats), up to %.16s in all",
                 held, n_hooks > 1 ? "s" : "", names, dur);
    } else {
        out->limit_s = base_s + hb;
        hook_format_duration(hb, dur, sizeof(dur));
        snprintf(out->what, sizeof(out->what),
                 "%d instance(s) held by lifecycle hook%s %.100s, up to %.16s", held,
                 n_hooks > 1 ? "s" : "", names, dur);
    }
}
