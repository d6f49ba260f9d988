"""Chaos rollouts: many rollouts on the simulator with faults drawn from a
seeded RNG, the helper killed (SIGKILL, sometimes SIGTERM) at random moments
and run again until it says done (0) or rolled back (1); after each rollout
the cluster must show what a rollout promises.

    python3 tests/integration/chaos.py --runs 200 --seed 7      (make chaos)
    python3 tests/integration/chaos.py --runs 200 --jobs 2      (CHAOS_JOBS=2)
    python3 tests/integration/chaos.py --seed 7 --only 41 -v    (replay one)
    python3 tests/integration/chaos.py --shapes none            (CHAOS_SHAPES=)

--shapes (all, the default; a comma list of names; none) draws a cluster shape
per rollout from tests/sim/scenarios/shapes/ (issue 12; one draw in three keeps
the plain cluster): the shape's scenario with the drawn sizes (its own scaling
kept steady at them), its faults added to the drawn ones. --jobs N runs N
rollouts side by side, each in a process of its own with its own simulator and
ports. At the end: one line of totals and a table per shape (runs, survived,
done, rolled back, abrupt kills, services short, replaced once, audit
identical; measure()).

Each rollout draws its own scenario, options, faults and kill moments from
Random(f"{seed}:{index}"), so a failure names the seed and index that replay
it (the kill moments are real-time, so a replay is close, not identical).

Exit codes of the helper, and what the driver does about them:
  0 done, 1 rolled back            -> check the cluster; next rollout
  4 interrupted / resumable        -> run again (what an operator does); when it
                                      stopped because ECS will not finish a drain
                                      and says to lower a service's desired count,
                                      do that first (counted as an operator fix)
  3 AWS error before any change    -> run again, counted (transient faults
                                      can outlast the client's retries)
  5 busy                           -> wait and run again; a killed helper on
                                      this host is seen dead at once, so this
                                      should not happen and is counted
  killed by us                     -> run again
anything else (a crash, a sanitizer report) fails the rollout."""
import argparse
import collections
import json
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import unittest

HERE = pathlib.Path(__file__).resolve().parent
for p in (HERE.parent / "lib", HERE.parent, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import testlib  # noqa: E402
from rollout import (Checks, Run, argv, container_instances, group, helper_env,  # noqa: E402
                     new_template_version, scenario, simulator)
from sim import load_scenario  # noqa: E402
from sim.testing import FAST_DELAYS  # noqa: E402

SHAPES_DIR = HERE.parent / "sim" / "scenarios" / "shapes"
# Shapes a rollout must refuse (issue 12, item 7): not rollouts to survive.
REFUSED_SHAPES = {"group-deleting", "instance-refresh", "standby"}


def shape_paths(spec):
    """The shape scenario files named by --shapes ("all" or "a,b"), by name."""
    if not spec:
        return {}
    found = {p.stem: p for p in sorted(SHAPES_DIR.glob("*.toml"))}
    if spec == "all":
        return {k: v for k, v in found.items() if k not in REFUSED_SHAPES}
    wanted = [w.strip() for w in spec.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in found]
    if unknown:
        raise SystemExit(f"chaos: unknown shapes {unknown}; known: {sorted(found)}")
    return {w: found[w] for w in wanted}

# A run that needs more attempts than this is a failure (a helper that never
# converges), whatever the faults.
MAX_RUNS_PER_ROLLOUT = 14
# Real seconds a single helper run may take before the driver calls it hung.
RUN_TIMEOUT = 240
WRITE_ACTIONS = ["autoscaling:CreateOrUpdateTags", "autoscaling:SuspendProcesses",
                 "autoscaling:UpdateAutoScalingGroup", "autoscaling:SetDesiredCapacity",
                 "ecs:UpdateContainerInstancesState", "autoscaling:TerminateInstanceInAutoScalingGroup",
                 "autoscaling:ResumeProcesses", "autoscaling:DeleteTags"]
API_ACTION_GROUPS = ["*", "ecs:*", "autoscaling:*", "ec2:*",
                     ["ecs:DescribeTasks", "ecs:DescribeContainerInstances", "ecs:ListTasks"]]


# The helper's "stuck" message for a drain that ECS will not finish (helper
# src/rollout/held.h): what the operator is told to change.
OPERATOR_FIX = re.compile(r"desired count of service (\S+) to (\d+)")


def operator_fixes(r):
    """[(service, desired count)] the helper's final message asks the operator to set."""
    done = r.done() or {}
    msg = done.get("message", "")
    if done.get("result") != "stuck" or "ECS will not finish the drain" not in msg:
        return []
    return [(name, int(n)) for name, n in OPERATOR_FIX.findall(msg.split("To go on,", 1)[-1])]


def apply_operator_fixes(sim, fixes):
    """Does what the message says, as an operator would (retrying AWS's injected faults)."""
    ecs = sim.client("ecs")
    for name, count in fixes:
        for attempt in range(20):
            try:
                ecs.update_service(cluster="prod", service=name, desiredCount=count)
                break
            except Exception:  # noqa: BLE001 - an injected fault: try again, as the CLI would
                if attempt == 19:
                    raise
                time.sleep(0.2)


class Plan:
    """Everything drawn for one rollout."""

    def __init__(self, seed, index, shapes=None):
        self.seed, self.index = seed, index
        # Drawn with an RNG of its own, so the plans without shapes stay as they were.
        names = sorted(shapes or {})
        self.shape = random.Random(f"{seed}:{index}:shape").choice(names + [None] * ((len(names) + 1) // 2)) \
            if names else None
        self.shape_path = (shapes or {}).get(self.shape)
        # Half the rollouts remove their drained batches with one scale-in
        # (--bulk-terminate-from 1 or 2, src/rollout/bulk.h), so the bulk path
        # meets the faults and kills; drawn with an RNG of its own, so the rest
        # of each plan stays as it was.
        bulk_rng = random.Random(f"{seed}:{index}:bulk")
        self.bulk_from = bulk_rng.choice([None, None, 1, 2])
        # and a third of those are SIGKILLed right after their first protection
        # call: between protecting and lowering the desired capacity (or just
        # after it), which the next run must restore
        kill_after_protect = bool(self.bulk_from) and bulk_rng.random() < 1 / 3
        self.asg_name, self.template = "prod-asg", "prod-lt"   # the group rolled, its launch template
        rng = self.rng = random.Random(f"{seed}:{index}")
        self.instances = rng.choice([2, 2, 3, 3, 4])
        self.tasks = self.instances * rng.choice([1, 2, 2, 3])
        self.min_healthy, self.max_percent = rng.choice([(100, 200), (100, 150), (50, 100), (50, 200)])
        self.batch = rng.choice([None, None, 1, 2])
        self.suspended = rng.choice([[], [], [], ["AZRebalance"], ["ScheduledActions"]])
        self.delays = dict(FAST_DELAYS)
        self.faults = {"seed": rng.randrange(1 << 30), "api": [], "cluster": {}}
        self.names = []   # the faults drawn, for the figures
        api = self.faults["api"]
        if rng.random() < 0.5:
            api.append({"action": rng.choice(API_ACTION_GROUPS), "throttle": round(rng.uniform(0.03, 0.2), 2)})
            self.names.append("throttle")
        if rng.random() < 0.4:
            api.append({"action": rng.choice(API_ACTION_GROUPS), "error": round(rng.uniform(0.01, 0.08), 2),
                        "error_status": rng.choice([500, 503])})
            self.names.append("5xx")
        if rng.random() < 0.3:
            api.append({"action": rng.choice(API_ACTION_GROUPS), "reset": round(rng.uniform(0.01, 0.05), 2)})
            self.names.append("reset")
        if rng.random() < 0.3:
            hi = rng.choice([20, 50, 120])
            api.append({"action": rng.choice(API_ACTION_GROUPS), "latency_ms": [0, hi]})
            self.names.append("latency")
        if rng.random() < 0.2:
            rate = rng.choice([10, 20])
            api.append({"action": ["ecs:DescribeTasks", "ecs:DescribeContainerInstances"], "rate": rate,
                        "burst": rate})
            self.names.append("token-bucket")
        cluster = self.faults["cluster"]
        if rng.random() < 0.15:
            cluster["never_register"] = rng.choice([1, 2])
            self.names.append("never-register")
        if rng.random() < 0.15:
            # A new instance fails its health check before its agent registers
            # (agent_register is 5 AWS s after boot), so no task is placed on it:
            # Auto Scaling replaces it and the rollout has to notice.
            cluster["unhealthy"] = 1
            cluster["unhealthy_after"] = round(rng.uniform(0, 4), 1)
            self.names.append("unhealthy")
        if rng.random() < 0.15:
            cluster["stuck_tasks"] = {"service": "web", "count": 1}
            self.names.append("stuck-task")
        if rng.random() < 0.15:
            cluster["account_limit"] = self.instances + rng.choice([0, 1, 1, 2])
            self.names.append("account-limit")
        if rng.random() < 0.3:
            self.delays["task_deactivate"] = rng.choice([10, 30])
            self.delays["task_stop"] = rng.choice([20, 60, 120])
            self.names.append("slow-drain")
        # When to kill each of the first runs: after the run's k-th AWS request,
        # right after its n-th call of a write action, or after some real time.
        # A run that ends first is not killed.
        self.kills = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            sig = "SIGTERM" if rng.random() < 0.15 else "SIGKILL"
            mode = rng.random()
            if mode < 0.45:
                self.kills.append(("calls", rng.randint(1, 150), sig))
            elif mode < 0.85:
                self.kills.append(("write", rng.choice(WRITE_ACTIONS), rng.choice([1, 1, 2]), sig))
            else:
                self.kills.append(("time", round(rng.uniform(0.05, 3.0), 2), sig))
        if kill_after_protect:
            self.kills.insert(0, ("write", "autoscaling:SetInstanceProtection", 1, "SIGKILL"))
        # Real seconds: the simulator runs at time scale 0.01 (1 AWS s = 10 ms).
        self.instance_timeout = 10 if "account-limit" not in self.names else 20
        self.drain_timeout = 6

    def scenario(self):
        sc = scenario(instances=self.instances, tasks=self.tasks, min_healthy=self.min_healthy,
                      max_percent=self.max_percent)
        sc["seed"] = self.rng.randrange(1 << 30)
        sc["delays"] = self.delays
        if self.shape_path:
            shaped = load_scenario(self.shape_path)
            # The group rolled: prod-asg, else the shape's first group of cluster prod.
            groups = [g for g in shaped["auto_scaling_groups"] if g.get("cluster", "default") == "prod"]
            g = next((g for g in groups if g["name"] == "prod-asg"), groups[0])
            self.asg_name, self.template = g["name"], g.get("launch_template", f"{g['name']}-lt")
            shape_desired = g.get("desired") or self.instances
            g.update(desired=self.instances, max=max(g.get("max", 12), 12))
            self._steady(g, shape_desired)
            web = next(s for s in shaped["services"] if s["name"] == "web")
            web.update(desired=self.tasks, minimum_healthy_percent=self.min_healthy, maximum_percent=self.max_percent)
            shaped["seed"], shaped["delays"] = sc["seed"], dict(shaped.get("delays") or {}, **self.delays)
            shaped.pop("time_scale", None)
            sc = shaped
        self._account_limit_over_all_groups(sc)
        if self.suspended:
            g = next(g for g in sc["auto_scaling_groups"] if g["name"] == self.asg_name)
            g["suspended_processes"] = sorted(set(g.get("suspended_processes", [])) | set(self.suspended))
        return sc

    def _account_limit_over_all_groups(self, sc):
        """The drawn account limit leaves the drawn room (0 to 2 instances)
        above the instances running when the rollout starts. The EC2 quota
        counts every running instance of the account in the region, not one
        group's ("Amazon EC2 service quotas", On-Demand Instance limits are
        per Region): a shape's other groups (batch-asg...) are added, else
        their instances would use up the room and every such draw would end
        rolled back before the rollout could launch anything.
        https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-resource-limits.html"""
        cluster = self.faults["cluster"]
        if "account_limit" not in cluster:
            return
        others = sum(g.get("desired") or 0 for g in sc["auto_scaling_groups"] if g["name"] != self.asg_name)
        cluster["account_limit"] += others

    def _steady(self, g, shape_desired):
        """Keeps a shape's own scaling where the drawn sizes put the group, so
        that "sizes as they were" measures the rollout and not Auto Scaling:
        the CPU load per instance of the shape (target tracking sets the
        capacity to ceil(capacity x metric / target): the shape's 180 % over 4
        instances sits between its two alarms, over 2 drawn instances it would
        scale out to 4 before the rollout began), and scheduled actions that
        set the drawn sizes (one coming due after a short rollout would change
        them). Whether a rollout holds them off is shown by
        test_rollout_shapes_scaling.
        https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html"""
        if "cpu_load" in g:
            g["cpu_load"] = g["cpu_load"] * self.instances / shape_desired
        sizes = {"desired": g["desired"], "min": g.get("min"), "max": g["max"]}
        for a in g.get("scheduled_actions", []):
            a.update({k: v for k, v in sizes.items() if k in a and v is not None})

    def args(self):
        a = ["--instance-timeout", str(self.instance_timeout), "--drain-timeout", str(self.drain_timeout)]
        if self.batch:
            a += ["--batch-size", str(self.batch)]
        if self.bulk_from:
            a += ["--bulk-terminate-from", str(self.bulk_from)]
        return a

    def describe(self):
        return (f"seed {self.seed} rollout {self.index}: {('shape ' + self.shape + ', ') if self.shape else ''}"
                f"{self.instances} instances, {self.tasks} tasks "
                f"({self.min_healthy}/{self.max_percent}), batch {self.batch or 'all'}, "
                f"bulk scale-in from {self.bulk_from or '-'}, suspended "
                f"{self.suspended or '-'}, faults {self.names or '-'}, kills {self.kills or '-'}")


class Figures:
    def __init__(self):
        self.rollouts = 0
        self.results = collections.Counter()       # done / rolled-back
        self.exit_codes = collections.Counter()
        self.faults_drawn = collections.Counter()   # by kind, per rollout
        self.injected = collections.Counter()       # API faults the simulator injected
        self.kills = collections.Counter()          # SIGKILL / SIGTERM actually delivered
        self.operator_fixes = collections.Counter()  # services whose desired count was lowered, as told
        self.runs = 0
        self.failures = []
        self.shapes = collections.defaultdict(collections.Counter)  # shape -> results (and "failed")
        # shape -> what the ledger showed after each rollout (measure()): every
        # rollout is measured, the failed ones too, so the figures hide nothing.
        self.measures = collections.defaultdict(collections.Counter)

    def merge(self, other):
        """Adds another process's figures (--jobs) to these."""
        self.rollouts += other.rollouts
        self.runs += other.runs
        self.failures += other.failures
        for name in ("results", "exit_codes", "faults_drawn", "injected", "kills", "operator_fixes"):
            getattr(self, name).update(getattr(other, name))
        for mine, theirs in ((self.shapes, other.shapes), (self.measures, other.measures)):
            for k, v in theirs.items():
                mine[k].update(v)

    def table(self):
        """The figures per shape, one row each and a total."""
        cols = ("runs", "survived", "done", "rolled-back", "abrupt kills", "services short",
                "replaced once", "audit identical")
        rows = []
        total = collections.Counter()
        for shape in sorted(self.measures):
            m = self.measures[shape]
            total.update(m)
            rows.append((shape, m))
        rows.append(("all", total))
        width = [len(c) + 2 for c in cols]
        out = [f"{'shape':<28}" + "".join(f"{c:>{w}}" for c, w in zip(cols, width))]
        for shape, m in rows:
            vals = (m["runs"], m["survived"], m["done"], m["rolled-back"], m["abrupt_kills"], m["services_short"],
                    f"{m['replaced_once']}/{m['measured']}", f"{m['audit_identical']}/{m['measured']}")
            out.append(f"{shape:<28}" + "".join(f"{v:>{w}}" for v, w in zip(vals, width)))
        return "\n".join(out)

    def line(self):
        inj = sum(self.injected.values())
        return (f"chaos: {self.rollouts} rollouts survived of {self.rollouts + len(self.failures)} "
                f"({dict(self.results)}); {self.runs} helper runs; kills {dict(self.kills)}; "
                f"operator fixes {dict(self.operator_fixes)}; "
                f"API faults injected {inj} {dict(self.injected)}; faults drawn {dict(self.faults_drawn)}; "
                f"exit codes {dict(sorted(self.exit_codes.items()))}; managed scale-ins after the rollout "
                f"{sum(m['managed_scale_ins'] for m in self.measures.values())}; rollouts that protected "
                f"instances for a bulk scale-in {sum(m['bulk_protected'] for m in self.measures.values())} "
                f"(of {sum(m['bulk_drawn'] for m in self.measures.values())} with --bulk-terminate-from)"
                + (f"; per shape {({k: dict(v) for k, v in sorted(self.shapes.items())})}" if self.shapes else ""))


class _Checker(Checks, unittest.TestCase):
    """The assertions of rollout.Checks, used outside a test run."""

    def runTest(self):  # pragma: no cover - never run as a test
        pass


def _calls(sim):
    with sim.engine.lock:
        return dict(sim.engine.ledger.api_calls)


def _kill_when(sim, proc, spec):
    """Sends the spec's signal once its moment comes, unless the process ended
    first; True if sent. The moment is counted from the run's start."""
    kind, sig = spec[0], spec[-1]
    base = _calls(sim)
    t0 = time.monotonic()

    def due():
        if kind == "time":
            return time.monotonic() - t0 >= spec[1]
        now = _calls(sim)
        if kind == "calls":
            return sum(now.values()) - sum(base.values()) >= spec[1]
        return now.get(spec[1], 0) - base.get(spec[1], 0) >= spec[2]

    while proc.poll() is None:
        if due():
            proc.send_signal(signal.SIGKILL if sig == "SIGKILL" else signal.SIGTERM)
            return True
        time.sleep(0.005)
    return False


def group_settled(g):
    """A group (DescribeAutoScalingGroups) with no member still launching or
    terminating and its capacity where Auto Scaling leaves it. Capacity counts
    each member's WeightedCapacity (mixed instances with weights: desired 3 may
    be one m5.xlarge of weight 2 and one m5.large): Auto Scaling "launches
    instances until the desired capacity is totally fulfilled, even if this
    results in an overage", by less than the weight of the instance launched.
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-mixed-instances-groups-instance-weighting.html
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html"""
    members = g["Instances"]
    if not all(i["LifecycleState"] == "InService" for i in members):
        return False
    weights = [int(i.get("WeightedCapacity") or 1) for i in members]
    have, desired = sum(weights), g["DesiredCapacity"]
    return desired <= have < desired + max(weights, default=1)


def stale_versions(members, template, version):
    """Versions other than `version` among the group's members launched from
    the rolled template. A mixed instances override with a template of its own
    (prod-lt-arm64) launches from that one: such members are current when they
    match it, and a rollout of prod-lt leaves them alone (issue 12, item 2)."""
    lts = [i.get("LaunchTemplate") or {} for i in members]
    return {lt.get("Version") for lt in lts if lt.get("LaunchTemplateName") == template} - {str(version)}


def killed_by_driver(sent, rc):
    """True when a helper run ended by the signal the driver sent (then it is
    run again). SIGKILL always ends it so; a SIGTERM that arrives before the
    helper has put its handler in place (the first milliseconds after exec,
    longer under ASan) ends it the same way, with no output: a kill, not a
    crash (seed 1 rollout 184: SIGTERM after 0.09 s, exit -15)."""
    return sent is not None and rc == -getattr(signal, sent)


def hung_note(kill, sent, out, err):
    """What a hung run had been told and had said last: whether the kill
    planned for it was sent, its last events (a hang is analysed from these;
    the run's files are not kept)."""
    out.seek(0)
    err.seek(0)
    lines = [ln for ln in out.read().splitlines() if '"event":"progress"' not in ln]
    told = f"{sent} sent" if sent else (f"planned {kill} not sent" if kill else "no kill planned")
    return f"{told}; last events:\n" + "\n".join(lines[-12:]) + "\nstderr:\n" + err.read()[-1500:]


# Real seconds a member InService may take to register with ECS before the
# check calls it not serving (the agent registers 5 AWS s after boot: 50 ms).
REGISTER_WAIT = 30


def members_serving(sim, asg_name, skip=()):
    """{instance id: container instance status or None} of the group's members
    but `skip`, once all are ACTIVE or REGISTER_WAIT has passed. A rollback that
    ends with a member gone by itself (a Spot interruption) resumes Launch, and
    Auto Scaling launches its replacement after the helper has ended: InService
    at boot, registered 5 AWS s later. Checked at once, a replacement between
    the two was "not serving" (issue 12, chaos seed 9 rollout 31)."""
    asg, ecs = sim.client("autoscaling"), sim.client("ecs")

    def look():
        cis = {c["ec2InstanceId"]: c["status"] for c in container_instances(ecs)}
        return {i["InstanceId"]: cis.get(i["InstanceId"]) for i in group(asg, asg_name)["Instances"]
                if i["InstanceId"] not in skip}

    def all_active():
        m = look()
        return [m] if all(v == "ACTIVE" for v in m.values()) else None

    try:
        return sim.wait_until(all_active, timeout=REGISTER_WAIT)[0]
    except TimeoutError:
        return look()


def _settled(sim, name="prod-asg"):
    return group_settled(group(sim.client("autoscaling"), name))


def _run_helper(sim, plan, kill):
    """One helper run; output goes to files, so a run that is watched for its
    kill moment never blocks on a full pipe. Returns (Run, signal sent or None)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv(sim, *plan.args(), asg=plan.asg_name), env=helper_env(sim), stdout=out,
                                stderr=err, text=True)
        sent = None
        if kill and _kill_when(sim, proc, kill):
            sent = kill[-1]
        try:
            proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"the helper hung for {RUN_TIMEOUT}s ({hung_note(kill, sent, out, err)})")
        out.seek(0)
        err.seek(0)
        return Run(proc, out.read(), err.read(), time.monotonic() - t0), sent


PLAIN = "plain"   # the rollouts drawn without a shape, in the figures
MANAGED_POLICY = "scaling policy ECSManagedAutoScalingPolicy-"


def managed_scaling_after(led, asg_name, t_end):
    """The desired capacity ECS's managed scaling set after the rollout gave
    the group's scaling back (AWS time t_end, last_resume), or None when nobody
    changed it or someone else did too. With managed scaling ECS sets the group's desired capacity itself
    (ECS Developer Guide, "Automatically manage Amazon ECS capacity with cluster
    auto scaling"): a rollout that ends with an instance running no service
    task (where ECS placed the moved tasks is ECS's choice) sees it scaled in,
    alone or at once when the reservation alarm was already in ALARM from the
    doubled period. Issue 12 asks the rollout to leave the provider, its
    policy, protection, hooks and suspended processes as found - not the
    desired capacity ECS manages. Tasks such a scale-in kills are still
    counted (abrupt_kills), but for daemon tasks, which ECS ignores there.
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html"""
    if t_end is None:
        return None
    after = [c for c in led["desired_capacity_changes"] if c["group"] == asg_name and c["t"] > t_end]
    if not after or not all(str(c.get("cause", "")).startswith(MANAGED_POLICY) for c in after):
        return None
    return after[-1]["to"]


def last_resume(sim):
    """AWS time of the last ResumeProcesses (the rollout giving the group's
    scaling back at its end: the driver resumes nothing), None before any."""
    times = [e["t"] for e in sim.ledger(timeline=True)["timeline"]
             if e["event"] == "write" and e.get("call") == "autoscaling:ResumeProcesses"]
    return max(times) if times else None


def without_managed_desired(led, asg_name, t_end):
    """The ledger with the group's DesiredCapacity change left out when ECS's
    managed scaling made it after the rollout (managed_scaling_after)."""
    managed = managed_scaling_after(led, asg_name, t_end)
    if managed is None:
        return led, None
    changes = [c for c in led["group_config_changes"]
               if not (c["group"] == asg_name and c["field"] == "DesiredCapacity" and c["after"] == managed)]
    return dict(led, group_config_changes=changes), managed


def measure(sim, plan, final, figures, t_end=None):
    """What the ledger shows after a rollout, into the figures of its shape:
    tasks killed abruptly, services that went below what they allow, whether
    no instance was replaced more than once (and, done, no old instance of the
    rolled template is left), whether the group's configuration is as before."""
    sim.clear_faults()
    led, managed = without_managed_desired(sim.ledger(timeline=False), plan.asg_name, t_end)
    m = figures.measures[plan.shape or PLAIN]
    m["managed_scale_ins"] += managed is not None
    m["measured"] += 1
    m["abrupt_kills"] += len(led["abrupt_kills"])
    m["services_short"] += sum(1 for s in led["services"] if not s.get("exempt") and s["went_below_allowed"])
    rec = next((r for r in led["replacements"] if r["group"] == plan.asg_name), None)
    once = rec is not None and not rec["problem"]
    if once and final is not None and final.rc == 0:
        left = set(rec["old_remaining"])
        once = not any(i["InstanceId"] in left and i.get("LaunchTemplate", {}).get("LaunchTemplateName") == plan.template
                       for i in group(sim.client("autoscaling"), plan.asg_name)["Instances"])
    m["replaced_once"] += once
    m["audit_identical"] += not any(c["group"] == plan.asg_name for c in led["group_config_changes"])
    # rollouts that protected instances for a bulk scale-in (src/rollout/bulk.h)
    m["bulk_protected"] += led["api_calls"].get("autoscaling:SetInstanceProtection", 0) > 0
    m["bulk_drawn"] += bool(plan.bulk_from)


def run_one(plan, figures, verbose=False, log=print, keep=None):
    """One rollout to its end; raises AssertionError on a broken promise.
    The ledger's figures are taken whatever the outcome (measure())."""
    with simulator(plan.scenario(), time_scale=0.01) as sim:
        ended = {}   # the helper run that said done or rolled back, once there is one
        try:
            return _run_one(sim, plan, figures, verbose, log, keep, ended)
        finally:
            try:
                measure(sim, plan, ended.get("run"), figures, ended.get("t_end"))
            except Exception as e:  # noqa: BLE001 - the rollout's own failure is the one to report
                log(f"  (no figures for {plan.seed}:{plan.index}: {e})")


def _run_one(sim, plan, figures, verbose, log, keep, ended):
    """The rollout and its checks: (result, history)."""
    version = new_template_version(sim, template=plan.template)
    asg = sim.client("autoscaling")
    g0 = group(asg, plan.asg_name)
    original = (g0["DesiredCapacity"], g0["MaxSize"], sorted(p["ProcessName"] for p in g0["SuspendedProcesses"]))
    # A shape's own faults (set when it started) stay: the drawn ones are added.
    sim.set_faults(plan.faults, replace=not plan.shape)
    history = []
    final = None
    for attempt in range(MAX_RUNS_PER_ROLLOUT):
        kill = plan.kills[attempt] if attempt < len(plan.kills) else None
        r, killed = _run_helper(sim, plan, kill)
        if killed:
            figures.kills[killed] += 1
        figures.runs += 1
        history.append((attempt, killed, r.rc))
        if verbose:
            log(f"  run {attempt}: {'killed by ' + killed + ', ' if killed else ''}exit {r.rc} "
                f"after {r.elapsed:.1f}s")
            if keep:
                pathlib.Path(keep).mkdir(parents=True, exist_ok=True)
                stem = pathlib.Path(keep, f"{plan.seed}-{plan.index}-{attempt}")
                stem.with_suffix(".out").write_text(r.stdout)
                stem.with_suffix(".err").write_text(r.stderr)
        if killed_by_driver(killed, r.rc):
            continue
        if killed == "SIGKILL":
            # It ended on its own between the check and the signal.
            figures.kills[killed] -= 1
        figures.exit_codes[r.rc] += 1
        if r.rc in (0, 1):
            final = ended["run"] = r
            ended["t_end"] = last_resume(sim)
            break
        if r.rc == 4:
            fixes = operator_fixes(r)
            if fixes:
                apply_operator_fixes(sim, fixes)
                for name, _ in fixes:
                    figures.operator_fixes[name] += 1
                if verbose:
                    log(f"  operator: desired count of {fixes}, as the helper said")
            continue
        if r.rc == 3:
            done = r.done()
            msg = (done or {}).get("message", "") + r.stderr
            # Only AWS failing (faults) may end a run with 3 in this test.
            if not any(w in msg for w in ("Throttl", "RequestLimitExceeded", "ServerException",
                                          "InternalFailure", "ServiceUnavailable", "Unavailable",
                                          "InternalError", "reset", "closed the connection")):
                raise AssertionError(f"exit 3 without an AWS fault behind it:\n{r!r}")
            continue
        if r.rc == 5:
            figures.exit_codes["busy-waits"] += 1
            time.sleep(1.0)
            continue
        raise AssertionError(f"unexpected exit {r.rc} (run {attempt}):\n{r!r}")
    if final is None:
        raise AssertionError(f"no result after {MAX_RUNS_PER_ROLLOUT} runs: {history}")
    led = sim.ledger(timeline=False)
    for name, kinds in led["faults"]["injected"].items():
        for kind, n in kinds.items():
            figures.injected[kind] += n
    # The checks read AWS through boto3: no more faults from here on.
    sim.clear_faults()
    sim.wait_until(lambda: _settled(sim, plan.asg_name), timeout=120,
                   message="the group settled after the rollout")
    if keep:
        pathlib.Path(keep, f"{plan.seed}-{plan.index}-ledger.json").write_text(
            json.dumps(sim.ledger(timeline=True), indent=1, default=str))
    check = _Checker()
    led, managed = without_managed_desired(sim.ledger(timeline=False), plan.asg_name, ended["t_end"])
    check.assertZeroDowntime(sim, led=led, strict_desired=plan.min_healthy >= 100)
    desired, max_size, suspended = original
    if managed is not None:
        desired = managed
    check.assertClean(sim, asg_name=plan.asg_name, desired=desired, max_size=max_size, suspended=suspended,
                      led=led)
    if final.rc == 0:
        sim.wait_until(lambda: _settled(sim, plan.asg_name), timeout=60, message="terminations finished")
        members = group(asg, plan.asg_name)["Instances"]
        check.assertEqual(stale_versions(members, plan.template, version), set(), members)
    # Every member serves: registered and ACTIVE in the cluster. But for an
    # instance Auto Scaling launched before the rollout that the fault kept
    # from registering (a Spot replacement, say): pre-flight refuses it by
    # name (exit 1, "fix or terminate them first") and it is the operator's.
    refused_by_name = set()
    if final.rc == 1:
        never = {e["instance"] for e in sim.ledger(timeline=True)["timeline"]
                 if e["event"] == "fault_never_register"}
        refused_by_name = {i for i in never if i in final.stderr and "are not registered" in final.stderr}
    for iid, status in members_serving(sim, plan.asg_name, refused_by_name).items():
        check.assertEqual(status, "ACTIVE", f"{iid} is not serving")
    result = final.done()["result"] if final.done() else str(final.rc)
    figures.results[result] += 1
    return result, history


def run_plan(seed, index, shapes=None, verbose=False, keep=None, log=None, dry=False):
    """Rollout `index` of `seed` in this process, with a simulator of its own:
    (its Figures, the lines it logged, failed). With log=None the lines are
    only collected (--jobs: the parent prints them when the plan is over)."""
    lines = []

    def say(line):
        lines.append(line)
        if log is not None:
            log(line)
    figures = Figures()
    plan = Plan(seed, index, shape_paths(shapes))
    if dry:
        say(f"plan {plan.describe()}")
        return figures, lines, False
    for n in plan.names:
        figures.faults_drawn[n] += 1
    m = figures.measures[plan.shape or PLAIN]
    m["runs"] += 1
    t0 = time.monotonic()
    try:
        result, history = run_one(plan, figures, verbose=verbose, log=say, keep=keep)
        figures.rollouts += 1
        figures.shapes[plan.shape or PLAIN][result] += 1
        m["survived"] += 1
        m[result] += 1
        say(f"ok   {plan.describe()} -> {result} after {len(history)} run(s) ({time.monotonic() - t0:.1f}s)")
        return figures, lines, False
    except Exception as e:  # noqa: BLE001 - every failure is reported with its seed
        msg = "".join(traceback.format_exception_only(type(e), e)).strip()
        figures.failures.append((plan.seed, plan.index, msg))
        figures.shapes[plan.shape or PLAIN]["failed"] += 1
        say(f"FAIL {plan.describe()}: {msg[:3000]}")
        if verbose:
            say("".join(traceback.format_exception(e)))
        return figures, lines, True


def run_many(runs, seed, only=None, verbose=False, stop_on_failure=False, log=print, keep=None, shapes=None,
             jobs=1, dry=False):
    """Rollouts 0..runs-1 of `seed` (or only `only`), in `jobs` processes side
    by side: each plan is drawn from its seed and index alone and runs with a
    simulator and ports of its own, so a plan gives the same rollout in any
    process and any order. Lines are printed per plan, as each ends."""
    figures = Figures()
    indices = [only] if only is not None else list(range(runs))
    shape_paths(shapes)  # unknown names: fail before anything runs
    if jobs <= 1 or len(indices) <= 1:
        for i in indices:
            f, _, failed = run_plan(seed, i, shapes, verbose, keep, log=log, dry=dry)
            figures.merge(f)
            if failed and stop_on_failure:
                break
        return figures
    import concurrent.futures
    import multiprocessing
    # spawn: a fresh interpreter per worker, nothing of the parent's moto state.
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs,
                                                mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = {pool.submit(run_plan, seed, i, shapes, verbose, keep, None, dry) for i in indices}
        try:
            for fut in concurrent.futures.as_completed(pending):
                f, lines, failed = fut.result()
                for line in lines:
                    log(line)
                figures.merge(f)
                if failed and stop_on_failure:
                    for other in pending:
                        other.cancel()
                    break
        except KeyboardInterrupt:
            for other in pending:
                other.cancel()
            raise
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("CHAOS_RUNS", "50")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED", "1")))
    ap.add_argument("--only", type=int, help="run only this rollout index")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("CHAOS_JOBS") or "1"),
                    help="rollouts side by side, each in a process of its own (CHAOS_JOBS; default 1)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-x", "--stop-on-failure", action="store_true")
    ap.add_argument("--keep", metavar="DIR", help="with -v: write each run's stdout/stderr to DIR")
    ap.add_argument("--shapes", default=os.environ.get("CHAOS_SHAPES", "all"),
                    help="draw cluster shapes from tests/sim/scenarios/shapes: all (the default; CHAOS_SHAPES), "
                         "a comma list of names, or none (or empty) for the plain cluster only")
    ap.add_argument("--plans", action="store_true", help="print what each rollout draws, run nothing")
    a = ap.parse_args()
    if a.jobs < 1:
        ap.error("--jobs must be at least 1")
    shapes = "" if a.shapes.strip() in ("", "none") else a.shapes
    t0 = time.monotonic()
    figures = run_many(a.runs, a.seed, only=a.only, verbose=a.verbose, stop_on_failure=a.stop_on_failure, keep=a.keep,
                       log=lambda s: print(s, flush=True), shapes=shapes, jobs=a.jobs, dry=a.plans)
    if a.plans:
        return 0
    print(figures.line() + f" in {time.monotonic() - t0:.0f}s", flush=True)
    print(figures.table(), flush=True)
    for seed, index, msg in sorted(figures.failures):
        print(f"failed: --seed {seed} --only {index}: {msg.splitlines()[0][:300]}")
    return 1 if figures.failures else 0

if __name__ == "__main__":
    sys.exit(main())
