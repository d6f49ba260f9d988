"""Pieces of the end-to-end tests: the real terraform and AWS provider applying
a configuration against the cluster simulator (in-process), step by step, and
what the simulator says after each step.

A Walk runs its steps in setUpClass and records each one (terraform's output
and exit status, the group, the container instances, the service, the ledger);
the test methods then assert on those records, so one slow sequence of applies
serves many small, separately reported checks. A step that cannot run because
an earlier one failed is recorded as missing with the reason."""
import json
import os
import pathlib
import re
import signal
import subprocess
import time

import tflib
from sim import Simulator
from sim.testing import container_instances, group

ROOT = tflib.ROOT
DEMO_SCENARIO = ROOT / "tests" / "sim" / "scenarios" / "demo.toml"
# The demo's AWS-like delays, 50 times faster: a rollout of the example takes a
# few real seconds.
TIME_SCALE = 0.02

AMI_A = "ami-0a1a1a1a1a1a1a1a1"
AMI_B = "ami-0b2b2b2b2b2b2b2b2"
AMI_C = "ami-0c3c3c3c3c3c3c3c3"
AMI_D = "ami-0d4d4d4d4d4d4d4d4"

READ_PREFIXES = ("Describe", "List", "Get")

# A helper line as terraform shows it: the local-exec prefix, then the
# helper's own plain line "HH:MM:SS message".
HELPER_LINE = re.compile(r"\(local-exec\): \d\d:\d\d:\d\d \S")


def start_simulator():
    return Simulator(scenario=str(DEMO_SCENARIO), time_scale=TIME_SCALE).start()


class TfRun:
    """One terraform command: exit status, combined output, wall time."""

    def __init__(self, args, proc, seconds):
        self.args = args
        self.rc = proc.returncode
        self.out = proc.stdout
        self.seconds = seconds
        self.simulator = None  # after a failure: what the simulator saw

    def lines(self):
        return self.out.splitlines()

    def index(self, needle, start=0):
        """Index of the first line at or after start that contains needle, or -1."""
        for i, line in enumerate(self.lines()[start:], start):
            if needle in line:
                return i
        return -1

    def local_exec_lines(self):
        return [line for line in self.lines() if "(local-exec):" in line]

    def __repr__(self):
        text = f"<terraform {' '.join(self.args[:1])}: exit {self.rc} after {self.seconds:.0f}s\n{self.out[-5000:]}"
        if self.simulator:
            text += f"\nsimulator: {self.simulator}"
        return text + ">"


class Workspace:
    """A terraform working directory bound to a simulator; every variable goes
    through a -var-file in JSON, so values reach terraform literally (a shell
    or HCL never interprets them)."""

    def __init__(self, directory, sim, environ, base_vars):
        self.dir = pathlib.Path(directory)
        self.sim = sim
        self.environ = environ
        self.base_vars = dict(base_vars)
        self.runs = 0
        self.provider = None
        # The provider's endpoints block, moved to its environment (only its:
        # terraform and the helper get the endpoint as the example gives it):
        # the same services reach the simulator, and an apply costs ~4 CPU-s
        # rather than ~12 (tfprovider.endpoints_to_environment says why).
        self.provider_environ = tflib.endpoints_to_environment(self.dir / "versions.tf", "var.aws_endpoint_url",
                                                               self.base_vars["aws_endpoint_url"])

    def init(self):
        proc = tflib.init(self.dir, self.environ)
        # Every command configures the provider alike, one at a time: one
        # provider process serves them all (tflib.SharedProvider), its debug
        # log telling after a failure which requests it retried or saw fail.
        if self.provider is None:
            self.provider = tflib.SharedProvider(self.dir, dict(self.environ, TF_LOG_PROVIDER="DEBUG",
                                                                **self.provider_environ))
        return proc

    def close(self):
        if self.provider:
            self.provider.stop()
            self.provider = None

    def tf(self, command, interrupt_when=None, **variables):
        """Runs terraform COMMAND -auto-approve with the variables. With
        interrupt_when (a regular expression), sends SIGINT to terraform's
        process group - as Ctrl-C in a terminal does: terraform, its provider
        and the helper - once an output line matches it."""
        self.runs += 1
        var_file = self.dir / f"step-{self.runs}.tfvars.json"
        var_file.write_text(json.dumps(dict(self.base_vars, **variables), indent=2))
        args = [command, "-auto-approve", "-input=false", "-no-color", f"-var-file={var_file.name}"]
        # The provider's debug log from here on, to tell after a failure which
        # requests it retried or saw fail.
        log_start = self.provider.log_size() if self.provider else 0
        environ = self.provider.environ(self.environ) if self.provider else self.environ
        t0 = time.monotonic()
        if interrupt_when is None:
            proc = tflib.run(args, self.dir, environ)
        else:
            proc = _run_interrupted(args, self.dir, environ, re.compile(interrupt_when))
        run = TfRun(args, proc, time.monotonic() - t0)
        if run.rc != 0:
            ledger = self.sim.ledger(timeline=False)
            run.simulator = {"simulator_errors": ledger["simulator_errors"], "api_calls": ledger["api_calls"],
                             "provider_retries_and_errors": (provider_http_problems(self.provider.log_path, log_start)
                                                             if self.provider else ["no provider log"])}
        print(f"terraform {command} ({', '.join(f'{k}={v}' for k, v in variables.items())}): "
              f"exit {run.rc} in {run.seconds:.1f}s", flush=True)
        return run

    def apply(self, **variables):
        return self.tf("apply", **variables)

    def destroy(self, **variables):
        return self.tf("destroy", **variables)


def provider_http_problems(log_path, start=0, limit=40):
    """From the AWS provider's debug log (from byte `start` on): the requests
    it sent again (attempt 2 and later) and the responses with an error
    status, in order."""
    try:
        with open(log_path, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        return [f"no provider log: {e}"]
    entries = []
    for line in text.splitlines():
        if line.startswith("{"):
            # A provider in debug mode logs JSON: "timestamp message key=value ...".
            try:
                fields = json.loads(line)
            except ValueError:
                fields = None
            if isinstance(fields, dict):
                line = f"{fields.get('@timestamp', ''):24.24} {fields.get('@message', '')} " + " ".join(
                    f"{k}={v}" for k, v in fields.items() if not k.startswith("@"))
        if line[:1].isspace() and entries:
            entries[-1] += " " + line.strip()
        else:
            entries.append(line)
    found = []
    for entry in entries:
        method = re.search(r"rpc\.method=(\w+)", entry)
        if not method:
            continue
        attempt = re.search(r"attempt=(\d+)", entry)
        status = re.search(r"http\.status_code=(\d+)", entry)
        if "HTTP Request Sent" in entry and attempt and int(attempt.group(1)) > 1:
            found.append(f"{entry[:24]} {method.group(1)}: attempt {attempt.group(1)}")
        elif "HTTP Response Received" in entry and status and int(status.group(1)) >= 400:
            found.append(f"{entry[:24]} {method.group(1)}: HTTP {status.group(1)}")
    return found[-limit:]


def _run_interrupted(args, cwd, environ, pattern):
    proc = subprocess.Popen([tflib.terraform_bin()] + list(args), cwd=cwd, env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if pattern.search(line):
                os.killpg(proc.pid, signal.SIGINT)
                break
        rest, _ = proc.communicate(timeout=tflib.TIMEOUT)
        lines.append(rest)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(lines))


class Snapshot:
    """What the simulator shows about one group, its cluster and services."""

    def __init__(self, sim, asg_name, cluster):
        asg, ecs = sim.client("autoscaling"), sim.client("ecs")
        groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[asg_name])["AutoScalingGroups"]
        self.group = groups[0] if groups else None
        self.container_instances = container_instances(ecs, cluster) if self.group else []
        arns = ecs.list_services(cluster=cluster)["serviceArns"] if self.group else []
        self.services = ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []
        self.ledger = sim.ledger(timeline=False)
        self.api_calls = dict(self.ledger["api_calls"])

    def instance_ids(self):
        return sorted(i["InstanceId"] for i in self.group["Instances"])

    def versions(self):
        """{instance id: launch template version it was launched from}."""
        return {i["InstanceId"]: i.get("LaunchTemplate", {}).get("Version") for i in self.group["Instances"]}

    def amis(self):
        """{instance id: AMI its ECS agent reports} of ACTIVE container instances."""
        out = {}
        for ci in self.container_instances:
            if ci["status"] == "ACTIVE":
                out[ci["ec2InstanceId"]] = next(a.get("value") for a in ci["attributes"] if a["name"] == "ecs.ami-id")
        return out

    def rollout_tags(self):
        return [t["Key"] for t in self.group.get("Tags", []) if t["Key"].startswith("ecs-rollout:")]

    def tags(self):
        return {t["Key"]: (t["Value"], t["PropagateAtLaunch"]) for t in self.group.get("Tags", [])}

    def suspended(self):
        return sorted(p["ProcessName"] for p in self.group.get("SuspendedProcesses", []))


def managed_capacity(sim, asg_name, cluster):
    """What ECS's capacity provider puts on the group, read through the APIs as
    a user would (issue 12): the provider's settings, the group's scaling
    policies (ECS's target tracking policy with managed scaling), lifecycle
    hooks (ECS's draining hook with managed draining),
    NewInstancesProtectedFromScaleIn, the suspended processes and how many
    instances are protected from scale-in."""
    asg, ecs = sim.client("autoscaling"), sim.client("ecs")
    g = group(asg, asg_name)
    providers = {}
    # The cluster's providers by name: moto 5.2 fails DescribeCapacityProviders
    # without names (a TypeError, answered as a 500), which AWS allows.
    names = ecs.describe_clusters(clusters=[cluster])["clusters"][0].get("capacityProviders") or []
    described = ecs.describe_capacity_providers(capacityProviders=names)["capacityProviders"] if names else []
    for cp in described:
        prov = cp.get("autoScalingGroupProvider") or {}
        if cp.get("status") == "ACTIVE" and prov.get("autoScalingGroupArn") in (g["AutoScalingGroupARN"], asg_name):
            providers[cp["name"]] = prov
    policies = {}
    for p in asg.describe_policies(AutoScalingGroupName=asg_name)["ScalingPolicies"]:
        spec = p.get("TargetTrackingConfiguration") or {}
        metric = (spec.get("CustomizedMetricSpecification") or {}).get("MetricName") or \
            (spec.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
        policies[p["PolicyName"]] = {"type": p.get("PolicyType"), "metric": metric,
                                     "target": spec.get("TargetValue"), "enabled": p.get("Enabled", True)}
    hooks = {h["LifecycleHookName"]: {"transition": h["LifecycleTransition"], "heartbeat": h.get("HeartbeatTimeout"),
                                      "default_result": h.get("DefaultResult")}
             for h in asg.describe_lifecycle_hooks(AutoScalingGroupName=asg_name)["LifecycleHooks"]}
    return {
        "capacity_providers": providers,
        "scaling_policies": policies,
        "lifecycle_hooks": hooks,
        "new_instances_protected": g.get("NewInstancesProtectedFromScaleIn"),
        "suspended_processes": sorted(p["ProcessName"] for p in g.get("SuspendedProcesses", [])),
        "protected_instances": sum(1 for i in g["Instances"] if i.get("ProtectedFromScaleIn")),
    }


def members(sim, asg_name):
    """{instance id: what AWS reports of it} for the group's instances: the
    launch template it was launched from (an override's own template, for a
    mixed instances policy) and its type, as DescribeAutoScalingGroups reports
    them per instance; "AutoScalingInstances": "same" when
    DescribeAutoScalingInstances reports the same, else what it reports; its
    ImageId and market from EC2 DescribeInstances (InstanceLifecycle "spot",
    absent for On-Demand). Amazon EC2 Auto Scaling API Reference, Instance and
    AutoScalingInstanceDetails: LaunchTemplate is "the launch template for the
    instance"; User Guide, "Use multiple launch templates": an override's
    template is the one the instances of its type launch from."""
    asg, ec2 = sim.client("autoscaling"), sim.client("ec2")
    g = group(asg, asg_name)
    ids = sorted(i["InstanceId"] for i in g["Instances"])
    if not ids:
        return {}
    details = {i["InstanceId"]: i for i in
               asg.describe_auto_scaling_instances(InstanceIds=ids)["AutoScalingInstances"]}
    described = {i["InstanceId"]: i for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]
                 for i in r["Instances"]}
    out = {}
    for i in g["Instances"]:
        iid, lt = i["InstanceId"], i.get("LaunchTemplate") or {}
        d = details.get(iid, {})
        same = (d.get("LaunchTemplate"), d.get("InstanceType"), d.get("AutoScalingGroupName")) == (
            i.get("LaunchTemplate"), i.get("InstanceType"), asg_name)
        out[iid] = {"InstanceType": i.get("InstanceType"), "LaunchTemplateId": lt.get("LaunchTemplateId"),
                    "LaunchTemplateName": lt.get("LaunchTemplateName"), "Version": lt.get("Version"),
                    "ImageId": described.get(iid, {}).get("ImageId"),
                    "Market": described.get(iid, {}).get("InstanceLifecycle", "on-demand"),
                    "AutoScalingInstances": "same" if same else d}
    return out


def wait_until_serving(sim, asg_name, cluster, service, count, version, timeout=120):
    """Waits until every instance of the group is InService on the given
    template version, registered ACTIVE, and the service runs `count` tasks."""
    asg, ecs = sim.client("autoscaling"), sim.client("ecs")

    def ready():
        g = group(asg, asg_name)
        if len(g["Instances"]) != g["DesiredCapacity"]:
            return False
        if any(i["LifecycleState"] != "InService" or i.get("LaunchTemplate", {}).get("Version") != str(version)
               for i in g["Instances"]):
            return False
        active = {c["ec2InstanceId"] for c in container_instances(ecs, cluster) if c["status"] == "ACTIVE"}
        if not {i["InstanceId"] for i in g["Instances"]} <= active:
            return False
        svc = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
        return svc["runningCount"] == count and svc["pendingCount"] == 0
    return sim.wait_until(ready, timeout=timeout, message=f"{asg_name} serving {count} tasks on version {version}")


def writes_between(before, after):
    """{action: count} of every non-read AWS request made between two snapshots."""
    out = {}
    for action, n in after.items():
        name = action.split(":", 1)[-1]
        if not name.startswith(READ_PREFIXES) and n - before.get(action, 0) > 0:
            out[action] = n - before.get(action, 0)
    return out


def leftovers(sim):
    """Everything the configuration could have created that still exists."""
    ec2, asg, ecs, iam = (sim.client(s) for s in ("ec2", "autoscaling", "ecs", "iam"))
    found = {}
    live = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
            if i["State"]["Name"] != "terminated"]
    found["instances"] = live
    found["groups"] = [g["AutoScalingGroupName"] for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]]
    found["launch_templates"] = [t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]]
    found["security_groups"] = [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]
                                if g["GroupName"] != "default"]
    found["iam_roles"] = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    found["instance_profiles"] = [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]]
    clusters = ecs.list_clusters()["clusterArns"]
    described = ecs.describe_clusters(clusters=clusters)["clusters"] if clusters else []
    found["clusters"] = [c["clusterName"] for c in described if c["status"] != "INACTIVE"]
    services = []
    for c in described:
        arns = ecs.list_services(cluster=c["clusterArn"])["serviceArns"]
        if arns:
            services += [s["serviceName"] for s in ecs.describe_services(cluster=c["clusterArn"], services=arns)["services"]
                         if s["status"] != "INACTIVE"]
    found["services"] = services
    found["task_definitions"] = ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
    return {k: v for k, v in found.items() if v}


class Walk:
    """Records the steps of a sequence of terraform commands; see the module
    docstring."""

    def __init__(self):
        self.steps = {}
        self.stopped = None

    def run(self, name, fn):
        """Runs fn() unless an earlier step stopped the walk; records its result
        or the exception. fn returns a dict of facts; a fact "stop" (a reason)
        ends the walk after this step."""
        if self.stopped:
            self.steps[name] = {"missing": f"not run: {self.stopped}"}
            return self.steps[name]
        try:
            facts = fn()
        except Exception as e:  # recorded, then reported by the tests that need this step
            facts = {"missing": f"step {name} raised {type(e).__name__}: {e}"}
            self.stopped = f"step {name} raised {type(e).__name__}: {e}"
            return self.steps.setdefault(name, facts)
        if facts.get("stop"):
            self.stopped = f"step {name}: {facts['stop']}"
        self.steps[name] = facts
        return facts

    def step(self, test, name):
        facts = self.steps.get(name)
        if facts is None:
            test.fail(f"step {name} was never recorded")
        if "missing" in facts:
            test.fail(facts["missing"])
        return facts


def environ_without_helper(workdir, cache_dir):
    """terraform's environment with no ecs-rollout anywhere: not on PATH, no
    ECS_ROLLOUT_* variable, and a build cache of our own."""
    e = tflib.env(workdir)
    for k in list(e):
        if k.startswith("ECS_ROLLOUT_"):
            del e[k]
    e["PATH"] = os.pathsep.join(d for d in e.get("PATH", "").split(os.pathsep)
                                if d and not os.path.exists(os.path.join(d, "ecs-rollout")))
    e["ECS_ROLLOUT_CACHE_DIR"] = str(cache_dir)
    return e
