"""Running ecs-rollout against the cluster simulator, and checking what the
ledger and the final AWS state say about it."""
import json
import os
import signal
import subprocess
import time

import testlib
from sim import Simulator
from sim.testing import AMI_NEW, AMI_OLD, FAST_DELAYS, container_instances, group, scenario  # noqa: F401

WRITE_ACTIONS = {
    "autoscaling:SetDesiredCapacity", "autoscaling:UpdateAutoScalingGroup",
    "autoscaling:TerminateInstanceInAutoScalingGroup", "autoscaling:DetachInstances",
    "autoscaling:SetInstanceProtection", "autoscaling:SuspendProcesses",
    "autoscaling:ResumeProcesses", "autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags",
    "ecs:UpdateContainerInstancesState", "ecs:StopTask",
}


def new_template_version(sim, template="prod-lt", ami=AMI_NEW):
    """A new launch template version: every instance of a $Latest group is out of date."""
    ec2 = sim.client("ec2")
    out = ec2.create_launch_template_version(LaunchTemplateName=template, SourceVersion="1",
                                             LaunchTemplateData={"ImageId": ami})
    return out["LaunchTemplateVersion"]["VersionNumber"]


class Run:
    def __init__(self, proc, stdout, stderr, elapsed):
        self.rc = proc.returncode
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed

    def events(self):
        out = []
        for line in self.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def done(self):
        ev = [e for e in self.events() if e.get("event") == "done"]
        return ev[-1] if ev else None

    def __repr__(self):
        return f"<rc={self.rc}\nstdout:\n{self.stdout[-4000:]}\nstderr:\n{self.stderr[-4000:]}>"


def helper_env(sim, extra=None):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("AWS_"):
            del env[k]
    env.update(sim.env())
    env["AWS_CONFIG_FILE"] = "/nonexistent/config"
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/credentials"
    env.update(extra or {})
    return env


def argv(sim, *args, asg="prod-asg", cluster="prod", command=None, json_output=True, poll=0.05):
    a = [testlib.helper_bin()]
    if command:
        a.append(command)
    a += ["--asg-name", asg, "--cluster-name", cluster]
    if command in (None, "rollout"):
        a += ["--poll-interval", str(poll)]
    if json_output:
        a += ["--output", "json"]
    return a + list(args)


def start(sim, *args, env=None, **kw):
    return subprocess.Popen(argv(sim, *args, **kw), env=helper_env(sim, env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=300):
    t0 = time.monotonic()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n[killed after {timeout}s]"
    return Run(proc, out, err, time.monotonic() - t0)


def run(sim, *args, timeout=300, **kw):
    return finish(start(sim, *args, **kw), timeout=timeout)


def kill_when(sim, proc, predicate, timeout=120):
    """SIGKILL the helper as soon as the predicate holds."""
    sim.wait_until(predicate, timeout=timeout, interval=0.01, message="the moment to kill the helper")
    proc.send_signal(signal.SIGKILL)
    return finish(proc)


class Checks:
    """Assertions shared by the scenario tests (mixed into unittest.TestCase)."""

    def assertZeroDowntime(self, sim, led=None, strict_desired=True):
        led = led or sim.ledger(timeline=False)
        self.assertEqual(led["abrupt_kills"], [], f"abrupt kills: {led['abrupt_kills'][:5]}")
        for svc in led["services"]:
            if svc.get("exempt"):
                continue  # a crash-looping service: its dips are its own (sim/ecs_disruptions.py)
            self.assertFalse(svc["went_below_allowed"], f"service below its allowed minimum: {svc}")
            if (strict_desired and svc["scheduling_strategy"] == "REPLICA" and svc["minimum_healthy_percent"] >= 100
                    and not svc.get("external_kills")):  # a disruption killed some: below desired until replaced
                self.assertFalse(svc["went_below_desired"], f"service below desired: {svc}")
        self.assertEqual(led["simulator_errors"], [])
        return led

    def assertGroupAudit(self, led, asg_name=None):
        """The ledger's group checks (sim/group_audit.py): the group's configuration as
        it was when the run started, no instance replaced more than once."""
        changes = [c for c in led["group_config_changes"] if asg_name in (None, c["group"])]
        self.assertEqual(changes, [], "group configuration changed")
        problems = [r["problem"] for r in led["replacements"] if r["problem"] and asg_name in (None, r["group"])]
        self.assertEqual(problems, [])

    def assertClean(self, sim, asg_name="prod-asg", cluster="prod", desired=None, max_size=None,
                    suspended=(), led=None, config_unchanged=True):
        """No rollout leftovers: sizes and processes as given, no tags, nothing DRAINING;
        with config_unchanged, the ledger's group audit finds nothing (assertGroupAudit)."""
        asg = sim.client("autoscaling")
        g = group(asg, asg_name)
        if desired is not None:
            self.assertEqual(g["DesiredCapacity"], desired)
        if max_size is not None:
            self.assertEqual(g["MaxSize"], max_size)
        self.assertEqual(sorted(p["ProcessName"] for p in g.get("SuspendedProcesses", [])), sorted(suspended))
        self.assertEqual([t["Key"] for t in g.get("Tags", []) if t["Key"].startswith("ecs-rollout:")], [])
        zones = {z: 0 for z in g.get("AvailabilityZones", [])}
        for i in g["Instances"]:
            zones[i["AvailabilityZone"]] = zones.get(i["AvailabilityZone"], 0) + 1
        if len(zones) > 1:
            # Uneven zones would make AZRebalance kill tasks after the rollout.
            self.assertLessEqual(max(zones.values()) - min(zones.values()), 1, zones)
        led = led or sim.ledger(timeline=False)
        self.assertEqual(led["instances_left_draining"], [])
        if config_unchanged:
            self.assertGroupAudit(led)
        ecs = sim.client("ecs")
        draining = [c["ec2InstanceId"] for c in container_instances(ecs, cluster) if c["status"] == "DRAINING"]
        live = {i["InstanceId"] for i in g["Instances"]}
        self.assertEqual([d for d in draining if d in live], [])
        return g

    def assertAllCurrent(self, sim, version, asg_name="prod-asg"):
        """Every instance of the group runs the given template version, InService."""
        asg = sim.client("autoscaling")
        sim.wait_until(lambda: all(i["LifecycleState"] == "InService" for i in group(asg, asg_name)["Instances"]),
                       timeout=60, message="terminations finished")
        g = group(asg, asg_name)
        versions = {i.get("LaunchTemplate", {}).get("Version") for i in g["Instances"]}
        self.assertEqual(versions, {str(version)}, g["Instances"])
        return g

    def assertServing(self, sim, old_ids, cluster="prod"):
        """The given instances are registered ACTIVE again."""
        ecs = sim.client("ecs")
        cis = {c["ec2InstanceId"]: c for c in container_instances(ecs, cluster)}
        for i in old_ids:
            self.assertIn(i, cis)
            self.assertEqual(cis[i]["status"], "ACTIVE", i)

    def assertNoWrites(self, before, after):
        writes = {k: after.get(k, 0) - before.get(k, 0) for k in WRITE_ACTIONS}
        self.assertEqual({k: v for k, v in writes.items() if v}, {})


def api_calls(sim):
    return dict(sim.ledger(timeline=False)["api_calls"])


def instance_ids(sim, asg_name="prod-asg"):
    return [i["InstanceId"] for i in group(sim.client("autoscaling"), asg_name)["Instances"]]


def simulator(sc, time_scale=0.01, **kw):
    return Simulator(scenario=sc, time_scale=time_scale, **kw)
