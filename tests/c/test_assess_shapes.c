/* rollout/assess.c on the cluster shapes of issue 12: instances launched
 * from a mixed instances override, instances the rollout launched itself,
 * drains that are someone else's, disconnected agents, weights and
 * lifecycle hook waits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/model.h"
#include "test.h"

struct fx {
    struct rollout_snapshot s;
    struct rollout_options o;
    struct asg_instance in[8];
    struct ecs_container_instance ci[8];
    long long launch[8];
    struct spec_entry entries[2];
};

static void add(struct fx *f, const char *id, const char *type, const char *lt, const char *ver,
                const char *state, const char *ci_status, int connected)
{
    size_t i = f->s.group.n_instances++;
    struct asg_instance *in = &f->in[i];
    in->instance_id = (char *)id;
    in->instance_type = (char *)type;
    in->availability_zone = (char *)"us-east-1a";
    in->lifecycle_state = (char *)state;
    in->launch_template.id = (char *)lt;
    in->launch_template.version = (char *)ver;
    if (ci_status) {
        struct ecs_container_instance *ci = &f->ci[f->s.n_cis++];
        ci->ec2_instance_id = (char *)id;
        ci->arn = (char *)id;
        ci->status = (char *)ci_status;
        ci->agent_connected = connected;
    }
}

/* x86 from the group's lt-x86 v7, Graviton from its override's lt-arm v3. */
static void fx_init(struct fx *f)
{
    memset(f, 0, sizeof(*f));
    f->s.group.name = (char *)"web";
    f->s.group.instances = f->in;
    f->s.cis = f->ci;
    f->entries[0] = (struct spec_entry){SPEC_GROUP, (char *)"lt-x86", (char *)"x86", 7, NULL, 0};
    f->entries[1] =
        (struct spec_entry){SPEC_TYPED, (char *)"lt-arm", (char *)"arm", 3, (char *)"m6g.large", 2};
    f->s.spec.v = f->entries;
    f->s.spec.n = 2;
    f->s.spec.weighted = 1;
}

static const struct instance_view *view(const struct rollout_assessment *a, const char *id)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].asg->instance_id, id) == 0)
            return &a->v[i];
    return NULL;
}

TEST(override_instances_are_current_and_weights_count)
{
    struct fx f;
    fx_init(&f);
    add(&f, "i-arm-new", "m6g.large", "lt-arm", "3", "InService", "ACTIVE", 1);
    add(&f, "i-x86-new", "m5.large", "lt-x86", "7", "InService", "ACTIVE", 1);
    add(&f, "i-arm-old", "m6g.large", "lt-arm", "2", "InService", "ACTIVE", 1);
    f.in[0].weighted_capacity = 2;
    f.in[1].weighted_capacity = 1;
    f.in[2].weighted_capacity = 2;
    struct rollout_assessment a;
    rollout_assess(&f.s, &f.o, &a);
    CHECK_INT(a.members, 3);
    CHECK_INT(a.outdated, 1);
    CHECK_INT(view(&a, "i-arm-new")->outdated, 0);
    CHECK_INT(view(&a, "i-x86-new")->outdated, 0);
    CHECK_CONTAINS(view(&a, "i-arm-old")->why, "version 2, the group uses version 3 for m6g.large");
    CHECK_INT(a.members_units, 5);
    CHECK_INT(a.active_units, 5);
    CHECK_INT(a.outdated_units, 2);
    CHECK_INT(a.old_active_units, 2);
    rollout_assessment_free(&a);
}

TEST(instances_launched_during_the_rollout_are_never_targets)
{
    struct fx f;
    fx_init(&f);
    f.s.state.in_progress = 1;
    f.s.marks.launched_after = 5000;
    f.s.launch_time = f.launch;
    add(&f, "i-old", "m5.large", "lt-x86", "6", "InService", "ACTIVE", 1);
    add(&f, "i-ours", "m5.large", "lt-x86", "6", "InService", "ACTIVE", 1);
    add(&f, "i-unknown", "m5.large", "lt-x86", "6", "InService", "ACTIVE", 1);
    f.launch[0] = 4000;
    f.launch[1] = 5001;
    f.launch[2] = 0; /* EC2 does not list it yet */
    struct rollout_assessment a;
    rollout_assess(&f.s, &f.o, &a);
    CHECK_INT(a.outdated, 1);
    CHECK_INT(view(&a, "i-old")->outdated, 1);
    CHECK_INT(view(&a, "i-ours")->outdated, 0);
    CHECK_INT(view(&a, "i-ours")->kept, 1);
    CHECK_CONTAINS(view(&a, "i-ours")->why, "launched during the rollout, so not replaced");
    CHECK_INT(view(&a, "i-unknown")->kept, 1);
    CHECK_INT(a.kept, 2);
    rollout_assessment_free(&a);

    /* Before a rollout begins (no marks), the judgement alone counts. */
    f.s.state.in_progress = 0;
    rollout_assess(&f.s, &f.o, &a);
    CHECK_INT(a.outdated, 3);
    CHECK_INT(a.kept, 0);
    rollout_assessment_free(&a);
}

TEST(foreign_drains_and_lost_agents_are_excluded)
{
    struct fx f;
    fx_init(&f);
    add(&f, "i-spot", "m5.large", "lt-x86", "6", "InService", "DRAINING", 1);
    add(&f, "i-ours", "m5.large", "lt-x86", "6", "InService", "DRAINING", 1);
    add(&f, "i-lost", "m5.large", "lt-x86", "6", "InService", "ACTIVE", 0);
    add(&f, "i-new-lost", "m5.large", "lt-x86", "7", "InService", "ACTIVE", 0);
    strv_push(&f.s.not_ours, "i-spot");
    strv_push(&f.s.not_ours, "i-lost"); /* not draining: not a foreign drain */
    struct rollout_assessment a;
    rollout_assess(&f.s, &f.o, &a);
    CHECK_INT(view(&a, "i-spot")->foreign, 1);
    CHECK_INT(view(&a, "i-ours")->foreign, 0);
    CHECK_INT(view(&a, "i-lost")->foreign, 0);
    CHECK_INT(view(&a, "i-lost")->agent_lost, 1);
    CHECK_INT(view(&a, "i-new-lost")->agent_lost, 0); /* current: just not ready */
    CHECK_INT(a.outdated, 3);
    CHECK_INT(a.excluded, 2);
    CHECK_INT(a.excluded_units, 2);
    rollout_assessment_free(&a);
    strv_free(&f.s.not_ours);
}

TEST(lifecycle_hook_waits_are_counted)
{
    struct fx f;
    fx_init(&f);
    add(&f, "i-a", "m5.large", "lt-x86", "7", "Pending:Wait", NULL, 0);
    add(&f, "i-b", "m5.large", "lt-x86", "6", "Terminating:Wait", "DRAINING", 1);
    add(&f, "i-c", "m5.large", "lt-x86", "6", "Terminating", "DRAINING", 1);
    add(&f, "i-d", "m5.large", "lt-x86", "7", "InService", NULL, 0);
    strv_push(&f.s.ci_lost, "i-d");
    struct rollout_assessment a;
    rollout_assess(&f.s, &f.o, &a);
    CHECK_INT(a.launch_held, 1);
    CHECK_INT(a.termination_held, 1);
    CHECK_INT(a.leaving, 2);
    CHECK_INT(view(&a, "i-a")->hook_wait, 1);
    CHECK_INT(view(&a, "i-d")->ci_lost, 1);
    rollout_assessment_free(&a);
    strv_free(&f.s.ci_lost);
}
