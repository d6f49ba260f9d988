/* The bulk scale-in's rules (bulk.h). Pure. */
#include "rollout/bulk.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int is_(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

int bulk_counted_state(const char *st)
{
    return st && (strcmp(st, "InService") == 0 || strncmp(st, "Pending", 7) == 0);
}

static int refuse(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return 0;
}

static int ci_draining(const struct rollout_snapshot *s, const char *id)
{
    const struct ecs_container_instance *ci = snapshot_ci(s, id);
    return ci && is_(ci->status, "DRAINING");
}

static int launched_during(const struct rollout_snapshot *s, size_t i)
{
    return s->launch_time && rollout_launched_during(&s->marks, s->launch_time[i]);
}

int bulk_counted_members(const struct asg_group *g)
{
    int n = 0;
    for (size_t i = 0; i < g->n_instances; i++)
        n += bulk_counted_state(g->instances[i].lifecycle_state);
    return n;
}

static int eligible(const struct rollout_snapshot *s, const struct rollout_options *o,
                    const struct rollout_decision *d, int rollback, struct strv *protect, char *why,
                    size_t cap)
{
    const struct asg_group *g = &s->group;
    const int n = (int)d->ids.n;
    if (why && cap)
        why[0] = '\0';
    if (d->action != ACT_TERMINATE)
        return refuse(why, cap, "not a termination");
    if (o->bulk_terminate_from <= 0)
        return refuse(why, cap, "--bulk-terminate-from 0");
    if (n < o->bulk_terminate_from)
        return refuse(why, cap, "%d instance(s), fewer than --bulk-terminate-from %d", n,
                      o->bulk_terminate_from);
    if (rollback)
        return refuse(why, cap, "a rollback");
    if (d->keep_desired)
        return refuse(why, cap, "a termination that keeps the desired capacity");
    if (s->spec.weighted || (g->desired_capacity_type && !is_(g->desired_capacity_type, "units")))
        return refuse(why, cap, "the group counts capacity in units other than instances");
    if (s->protection_managed != 0)
        return refuse(why, cap,
                      s->protection_managed > 0
                          ? "a capacity provider of the group has managed termination protection"
                          : "not known whether a capacity provider manages the group's protection");
    if (g->new_instances_protected_from_scale_in)
        return refuse(why, cap, "the group protects new instances from scale-in");
    /* Scale-in is the Terminate process ("Suspend and resume Amazon EC2
     * Auto Scaling processes"): suspended, a lower desired capacity
     * terminates nothing. */
    if (strv_contains(&g->suspended_processes, "Terminate"))
        return refuse(why, cap, "the group's Terminate process is suspended");
    int members = bulk_counted_members(g);
    if (members != g->desired_capacity)
        return refuse(why, cap, "the group has %d member(s) for a desired capacity of %d", members,
                      g->desired_capacity);
    /* The same arithmetic as the n decrements it replaces. */
    if (g->desired_capacity - n < g->min_size)
        return refuse(why, cap, "desired capacity %d less %d is below MinSize %d",
                      g->desired_capacity, n, g->min_size);
    int victims = 0;
    for (size_t i = 0; i < g->n_instances; i++) {
        const struct asg_instance *in = &g->instances[i];
        const char *st = in->lifecycle_state ? in->lifecycle_state : "";
        int chosen = strv_contains(&d->ids, in->instance_id);
        if (chosen) {
            if (!is_(st, "InService") || in->protected_from_scale_in ||
                !ci_draining(s, in->instance_id))
                return refuse(why, cap, "instance %s is not an unprotected drained InService one",
                              in->instance_id);
            victims++;
            continue;
        }
        if (!bulk_counted_state(st)) {
            /* Leaving already, or Standby / warm: not taken by a scale-in,
             * but Standby ones come back, and the rollout keeps it simple. */
            if (strncmp(st, "Terminating", 11) == 0 || strncmp(st, "Detach", 6) == 0)
                continue;
            return refuse(why, cap, "instance %s is %s", in->instance_id, st);
        }
        /* "Instance scale-in protection starts when the instance state is
         * InService" (User Guide, "Use instance scale-in protection"). */
        if (!is_(st, "InService"))
            return refuse(why, cap, "instance %s is %s: it cannot be protected yet",
                          in->instance_id, st);
        if (in->protected_from_scale_in)
            continue;
        /* Only the rollout touches the protection of what it launched (the
         * group's default, false); anyone else's unprotected instance would
         * need a memory of its protection the rollout does not have. */
        if (!launched_during(s, i))
            return refuse(why, cap,
                          "instance %s is unprotected and was not launched during the rollout",
                          in->instance_id);
        strv_push(protect, in->instance_id);
    }
    if (victims != n)
        return refuse(why, cap, "%d of the %d instance(s) are not in the group", n - victims, n);
    return 1;
}

int rollout_bulk_eligible(const struct rollout_snapshot *s, const struct rollout_options *o,
                          const struct rollout_decision *d, int rollback, struct strv *protect,
                          char *why, size_t cap)
{
    int ok = eligible(s, o, d, rollback, protect, why, cap);
    if (!ok)
        strv_free(protect);
    return ok;
}

/* Auto Scaling owes a scale-in: more counted members than the desired
 * capacity, and Terminate runs. It picks its victims when its activity
 * starts, moments after the desired change, from the members unprotected
 * then ("Use instance scale-in protection"): protection taken off now
 * would let it take one of those. Whether the unprotected members look
 * drained does not matter: ECS's view of them can be missing or late. */
static int scale_in_owed(const struct rollout_snapshot *s)
{
    const struct asg_group *g = &s->group;
    return !strv_contains(&g->suspended_processes, "Terminate") &&
           bulk_counted_members(g) > g->desired_capacity;
}

int rollout_bulk_in_flight(const struct rollout_snapshot *s)
{
    if (!scale_in_owed(s))
        return 0;
    const struct asg_group *g = &s->group;
    int takeable = 0;
    for (size_t i = 0; i < g->n_instances; i++) {
        const struct asg_instance *in = &g->instances[i];
        if (!bulk_counted_state(in->lifecycle_state) || in->protected_from_scale_in)
            continue;
        if (!is_(in->lifecycle_state, "InService") || !ci_draining(s, in->instance_id))
            return 0; /* the scale-in could take this one: not the rollout's */
        takeable++;
    }
    return takeable >= bulk_counted_members(g) - g->desired_capacity;
}

int rollout_protection_to_restore(const struct rollout_snapshot *s, struct rollout_decision *d)
{
    const struct asg_group *g = &s->group;
    if (!s->state.in_progress || s->protection_managed != 0 ||
        g->new_instances_protected_from_scale_in || scale_in_owed(s))
        return 0;
    int n = 0;
    for (size_t i = 0; i < g->n_instances; i++) {
        const struct asg_instance *in = &g->instances[i];
        if (in->protected_from_scale_in && bulk_counted_state(in->lifecycle_state) &&
            launched_during(s, i)) {
            strv_push(&d->ids, in->instance_id);
            n++;
        }
    }
    return n;
}
