#!/usr/bin/env python3
"""make bench: one rollout per cluster size on the simulator, with AWS-like
delays, and the figures that matter:

  ratio     the helper's wall time / the scenario's critical path (the
            simulator's own delays along boot -> register -> move tasks ->
            terminate, per batch); goal: <= 1.05
  reads     AWS reads per poll (a poll is one DescribeAutoScalingGroups per
            group), split by API; goal: <= 15 at 1,000 instances
  memory    the helper's peak heap (RssAnon) and, apart, what shared
            libraries and mapped files take (RssFile); goal: heap < 8 MB
  cpu       CPU seconds of the helper and of the simulator (user + system):
            figures that do not depend on how loaded the machine is
  throttled (--throttle) the simulator refuses requests beyond AWS's
            token buckets (tests/sim/throttle.py: per API for ECS and EC2, one
            shared by every Auto Scaling action); the helper's time against
            the unthrottled run, and the throttles it met

The helper polls once per simulated second (--poll-interval scaled by the
time scale), as it would against AWS. Figures are printed, never asserted.

Usage: tests/bench/rollout_bench.py [--sizes 3,50,1000] [--groups 1] [--throttle]
                                    [--time-scale 1] [--json FILE] [--profile-sim FILE]
"""
import argparse
import cProfile
import io
import json
import os
import pathlib
import pstats
import resource
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests" / "lib"), str(ROOT / "tests")]

from sim import Simulator  # noqa: E402
from sim import throttle as throttle_mod  # noqa: E402
from sim.engine import DEFAULT_DELAYS  # noqa: E402
from sim.testing import AMI_NEW, AMI_OLD  # noqa: E402

WRITES = ("SetDesiredCapacity", "UpdateAutoScalingGroup", "TerminateInstanceInAutoScalingGroup",
          "SuspendProcesses", "ResumeProcesses", "CreateOrUpdateTags", "DeleteTags",
          "UpdateContainerInstancesState", "StopTask", "DetachInstances", "SetInstanceProtection")

# Why the helper makes each read (what a poll is made of), for the output.
READ_REASONS = {
    "autoscaling:DescribeAutoScalingGroups": "the group: members, lifecycle, rollout tags (the poll itself)",
    "ecs:DescribeContainerInstances": "container instances of the members, 100 per call",
    "ecs:ListContainerInstances": "finding the container instances of new members",
    "ecs:ListTasks": "tasks left on draining instances",
    "ecs:DescribeTasks": "their states (DEACTIVATING/STOPPING are not counted), 100 per call",
    "ecs:DescribeServices": "services gating termination, 10 per call",
    "ecs:ListServices": "the cluster's services (daemons, once)",
    "ec2:DescribeLaunchTemplates": "the target version ($Latest/$Default)",
    "ec2:DescribeLaunchTemplateVersions": "the target AMI (--ami)",
    "ec2:DescribeInstances": "launch times of new members (once each); AMIs the agent does not report (--ami)",
    "autoscaling:DescribeTags": "the rollout's own tags on the group, without its instances",
    "autoscaling:DescribeLifecycleHooks": "the group's lifecycle hooks (at the start, then every 5 min)",
    "autoscaling:DescribePolicies": "scaling policies (pre-flight)",
    "autoscaling:DescribeScheduledActions": "scheduled actions (pre-flight)",
    "autoscaling:DescribeInstanceRefreshes": "an instance refresh in progress (pre-flight)",
    "sts:GetCallerIdentity": "who we are (once)",
    "ecs:DescribeClusters": "pre-flight; while a batch registers, whether the registered count moved",
}


def scenario(n, groups=1, tasks_per_instance=3):
    """One cluster, `groups` Auto Scaling groups sharing n instances, one
    service with tasks_per_instance tasks per instance."""
    sizes = [n // groups + (1 if i < n % groups else 0) for i in range(groups)]
    names = ["bench-asg"] if groups == 1 else [f"bench-asg-{i + 1}" for i in range(groups)]
    return {
        "region": "us-east-1",
        "seed": 42,
        "clusters": [{"name": "bench"}],
        "task_definitions": [{"family": "web", "cpu": 256, "memory": 512}],
        "auto_scaling_groups": [{"name": name, "cluster": "bench", "ami": AMI_OLD,
                                 "instance_type": "m5.large", "min": 0, "max": 2 * size, "desired": size,
                                 "launch_template": "bench-lt"}
                                for name, size in zip(names, sizes)],
        "services": [{"cluster": "bench", "name": "web", "task_definition": "web",
                      "desired": tasks_per_instance * n, "minimum_healthy_percent": 100,
                      "maximum_percent": 200}],
    }


def profile_threads():
    """cProfile in every thread started from now on (the simulator's request
    threads and its tick thread): one profiler per thread, merged at the end.
    Each counts its thread's CPU time (time.thread_time), not wall time: on a
    loaded machine, waiting for a CPU or the GIL would drown the figures."""
    profilers = []

    def hook(frame, event, arg):
        prof = cProfile.Profile(time.thread_time)
        profilers.append(prof)
        prof.enable()  # replaces this hook in the thread

    threading.setprofile(hook)
    return profilers


def write_profile(profilers, path):
    threading.setprofile(None)
    for p in profilers:
        p.disable()
    stats = pstats.Stats(*profilers) if profilers else None
    if stats is None:
        return
    stats.dump_stats(path)
    out = io.StringIO()
    pstats.Stats(path, stream=out).sort_stats("tottime").print_stats(25)
    pathlib.Path(path + ".txt").write_text(out.getvalue())


class MemoryWatch:
    """The helper's peak memory from /proc: VmHWM (its own high-water mark of
    resident memory, after exec; ru_maxrss of a child forked from this large
    Python process would count the parent's pages too), and the peaks of
    RssAnon (heap: what it allocates) and RssFile (shared libraries, mapped
    files)."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._stop.is_set():
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        key = line.split(":", 1)[0]
                        if key in self.peak:
                            self.peak[key] = max(self.peak[key], int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                pass
            self._stop.wait(0.02)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return {k: round(v / 1024, 2) for k, v in self.peak.items()}


# The calls the rollout makes between an instance's last task stopping and its
# termination (the critical path's last delay). One by one: a
# TerminateInstanceInAutoScalingGroup per instance. By one scale-in
# (--bulk-terminate-from, src/rollout/bulk.h): the SetInstanceProtection calls
# that protect the members that stay (50 ids per call; as many again take it
# off once the scale-in has picked, off the path) and one SetDesiredCapacity.
# Throttled, those calls alone lengthen the critical path by at least their
# bucket's floor (Auto Scaling's one bucket, shared by all its actions,
# sim/throttle.py; a lower bound, since the polls take from it too).
PER_INSTANCE_ON_PATH = "autoscaling:TerminateInstanceInAutoScalingGroup"
BULK_PROTECT = "autoscaling:SetInstanceProtection"
BULK_DESIRED = "autoscaling:SetDesiredCapacity"


def throttle_floor(calls, throttles, critical_path_s, time_scale):
    """The least wall time a throttled run can take: the critical path plus
    the floor of the calls it made on the path against the bucket they share
    (throttle.floor_seconds; the calls that went through: the ledger counts
    refused ones too), with where the bucket's figures come from."""
    def through(name):
        return calls.get(name, 0) - throttles.get(name, 0)

    on_path = {}
    if through(PER_INSTANCE_ON_PATH):
        on_path[PER_INSTANCE_ON_PATH] = through(PER_INSTANCE_ON_PATH)
    if through(BULK_PROTECT):
        # half protect before the scale-in (on the path), half unprotect after
        on_path[BULK_PROTECT] = (through(BULK_PROTECT) + 1) // 2
        on_path[BULK_DESIRED] = 1
    specs = {name: throttle_mod.bucket_of(name) for name in on_path}
    on_path = {name: n for name, n in on_path.items() if specs[name] is not None}
    if not on_path:
        return None
    # all Auto Scaling actions: one bucket (sim/throttle.py)
    extra = throttle_mod.floor_seconds(sum(on_path.values()), next(iter(on_path))) * time_scale
    spec = specs[next(iter(on_path))]
    return {"call": PER_INSTANCE_ON_PATH if PER_INSTANCE_ON_PATH in on_path else BULK_PROTECT,
            "calls": on_path, "bulk": BULK_PROTECT in on_path, "capacity": spec[0], "refill_per_s": spec[1],
            "source": spec[2], "extra_s": round(extra, 2), "wall_s": round(critical_path_s + extra, 2),
            "ratio": round((critical_path_s + extra) / critical_path_s, 3)}


def request_seconds(eng):
    with eng.lock:
        return sum(v["total_ms"] for v in eng.request_stats.values()) / 1000.0


def run_one(n, time_scale, helper, batch=None, groups=1, throttle=False, profile=None, trace=None,
            retry_mode=None, bulk_terminate_from=None):
    sc = scenario(n, groups)
    profilers = profile_threads() if profile else None
    with Simulator(scenario=sc, time_scale=time_scale, throttle=throttle) as sim:
        settle = sim.started_in
        ec2 = sim.client("ec2")
        ec2.create_launch_template_version(LaunchTemplateName="bench-lt", SourceVersion="1",
                                           LaunchTemplateData={"ImageId": AMI_NEW})
        before = dict(sim.ledger(timeline=False)["api_calls"])
        req_before = request_seconds(sim.engine)
        conns_before = sim.server.connections_opened
        with sim.engine.lock:
            tick_before = sim.engine.tick_stats["total_ms"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(sim.env())
        env["AWS_CONFIG_FILE"] = "/nonexistent"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent"
        if retry_mode:
            env["AWS_RETRY_MODE"] = retry_mode
        names = [g["name"] for g in sc["auto_scaling_groups"]]
        with sim.engine.lock:
            lag_before = dict(sim.engine.lag_stats)
            gc_before = dict(sim.engine.gc_stats)
            if trace:
                sim.engine.trace = []
            helper_started = sim.engine.clock.now()
        cpu_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_self = time.process_time()
        t0 = time.monotonic()
        procs = []
        for name in names:
            argv = [helper, "--asg-name", name, "--cluster-name", "bench", "--output", "json",
                    "--poll-interval", f"{max(0.05, 1.0 * time_scale):.3f}", "--timeout", "3600"]
            if batch:
                argv += ["--batch-size", str(batch)]
            if bulk_terminate_from is not None:
                argv += ["--bulk-terminate-from", str(bulk_terminate_from)]
            p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            procs.append((p, MemoryWatch(p.pid)))
        outs = []
        for p, _ in procs:
            # One reader thread per helper: a full stdout pipe must not stall any of them.
            box = {}
            th = threading.Thread(target=lambda p=p, box=box: box.update(zip(("out", "err"), p.communicate())),
                                  daemon=True)
            th.start()
            outs.append((th, box))
        walls = []
        for (p, _), (th, _) in zip(procs, outs):
            th.join()
            walls.append(time.monotonic() - t0)
        wall = max(walls)
        sim_cpu = time.process_time() - cpu_self
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        helper_cpu = (ru.ru_utime - cpu_children.ru_utime) + (ru.ru_stime - cpu_children.ru_stime)
        mems = [w.stop() for _, w in procs]
        sim_request_s = request_seconds(sim.engine) - req_before
        connections = sim.server.connections_opened - conns_before
        with sim.engine.lock:
            tick_s = (sim.engine.tick_stats["total_ms"] - tick_before) / 1000.0
            lag = {k: v - lag_before[k] for k, v in sim.engine.lag_stats.items() if k != "max_s"}
            lag["max_s"] = sim.engine.lag_stats["max_s"]
            gcs = {k: v - gc_before[k] for k, v in sim.engine.gc_stats.items() if k != "max_s"}
            gcs["max_s"] = sim.engine.gc_stats["max_s"]
            helper_ended = sim.engine.clock.now()
        dones, stderr, exits = [], [], []
        for (p, _), (_, box) in zip(procs, outs):
            done = None
            for line in (box.get("out") or "").splitlines():
                if line.startswith("{"):
                    ev = json.loads(line)
                    if ev.get("event") == "done":
                        done = ev
            dones.append(done or {})
            exits.append(p.returncode)
            if p.returncode:
                stderr.append((box.get("err") or "")[-2000:])
        throttles = throttle_mod.stats(sim.engine)
        led = sim.ledger(timeline=True)
        # How long the simulator took to create the new instances (moto makes
        # them one by one; they boot together, from the group's decision, so
        # this is off the critical path, but the engine lock is held meanwhile).
        tl = led.pop("timeline", [])
        if trace:
            with sim.engine.lock:
                spans, sim.engine.trace = sim.engine.trace, None
            pathlib.Path(trace).write_text(json.dumps({
                "ledger_t0": sim.engine.ledger.t0, "helper_started": helper_started,
                "helper_ended": helper_ended, "timeline": tl, "trace": spans,
                "helper_stdout": [box.get("out") or "" for _, box in outs],
                "delays": sim.engine.delays}) + "\n")
        scale_out = [e["t"] for e in tl if e["event"] == "desired_capacity" and e.get("cause") == "SetDesiredCapacity"]
        launched = [e["t"] for e in tl if e["event"] == "instance_launched"]
        sim_launch = 0.0
        if scale_out and launched:
            first = min(scale_out)
            after = [t for t in launched if t >= first]
            if after:
                sim_launch = (max(after) - first) * time_scale
        calls = {k: v - before.get(k, 0) for k, v in led["api_calls"].items() if v - before.get(k, 0)}
        batches = max((d.get("batches") or 1) for d in dones)
        crit = sim.critical_path(batches=batches)
        # A run that removed its batches by one scale-in each waits, on AWS's side, for the
        # scale-in activity to start: its own critical path has that delay (one batch here).
        bulk_scale_ins = sum(d.get("bulk_scale_ins") or 0 for d in dones)
        crit_bulk = sim.critical_path(batches=batches, by_scale_in=True) if bulk_scale_ins else None
        polls = calls.get("autoscaling:DescribeAutoScalingGroups", 0)
        reads = {k: v for k, v in calls.items() if k.split(":")[1] not in WRITES}
        results = [d.get("result") for d in dones]
    if profilers is not None:
        write_profile(profilers, profile)
    return {
        "instances": n,
        "groups": groups,
        "tasks": 3 * n,
        "time_scale": time_scale,
        "throttled": throttle,
        "exit": max(exits),
        "result": results[0] if len(set(results)) == 1 else ",".join(str(r) for r in results),
        "batches": batches,
        "settle_s": round(settle, 2),
        "wall_s": round(wall, 2),
        "critical_path_s": crit["total_real_seconds"],
        "ratio": round(wall / crit["total_real_seconds"], 3),
        "sim_launch_s": round(sim_launch, 2),
        "ratio_without_sim_launch": round((wall - sim_launch) / crit["total_real_seconds"], 3),
        "requests": sum(d.get("aws_requests") or 0 for d in dones),
        "bulk_scale_ins": bulk_scale_ins,
        "critical_path_by_scale_in_s": crit_bulk["total_real_seconds"] if crit_bulk else None,
        "ratio_by_scale_in": round(wall / crit_bulk["total_real_seconds"], 3) if crit_bulk else None,
        "requests_seen_by_simulator": sum(calls.values()),
        "polls": polls,
        "reads_per_poll": round(sum(reads.values()) / polls, 1) if polls else None,
        "reads_per_poll_by_api": {k: round(v / polls, 2) for k, v in sorted(reads.items(), key=lambda kv: -kv[1])}
        if polls else {},
        "helper_cpu_s": round(helper_cpu, 2),
        "connections": connections,
        "sim_cpu_s": round(sim_cpu, 2),
        "sim_request_s": round(sim_request_s, 2),
        "sim_tick_s": round(tick_s, 2),
        "sim_event_lag": {"events": lag["events"], "late": lag["late"], "mean_s": round(lag["total_s"] / lag["events"], 3)
                          if lag["events"] else 0.0, "max_s": round(lag["max_s"], 2)},
        "sim_gc": {"full": gcs["full"], "total_s": round(gcs["total_s"], 2), "max_s": round(gcs["max_s"], 2)},
        "throttles": throttles,
        "throttle_floor": throttle_floor(calls, throttles, crit["total_real_seconds"], time_scale)
        if throttle else None,
        "throttles_total": sum(throttles.values()),
        "peak_rss_mb": max(m["VmHWM"] for m in mems),
        "peak_anon_mb": max(m["RssAnon"] for m in mems),
        "peak_file_mb": max(m["RssFile"] for m in mems),
        "zero_downtime": led["zero_downtime"],
        "abrupt_kills": len(led["abrupt_kills"]),
        "calls": calls,
        "stderr": "\n".join(stderr),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="3,50,1000")
    ap.add_argument("--groups", type=int, default=1, help="Auto Scaling groups sharing the instances "
                    "of one cluster, rolled out side by side (one helper each)")
    ap.add_argument("--throttle", action="store_true", help="throttle like AWS (tests/sim/throttle.py)")
    ap.add_argument("--retry-mode", choices=("standard", "adaptive"), default=None,
                    help="the helper's AWS_RETRY_MODE (default: its own, standard)")
    ap.add_argument("--time-scale", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--bulk-terminate-from", type=int, default=None, metavar="N",
                    help="the helper's --bulk-terminate-from (0: one termination call per instance)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--profile-sim", default=None, metavar="FILE",
                    help="cProfile the simulator's threads; pstats to FILE, the top to FILE.txt")
    ap.add_argument("--trace", default=None, metavar="FILE",
                    help="the simulator's timeline, its events' due and run times, its requests' arrival, "
                    "start and end times and the helper's output, as JSON to FILE.<size> "
                    "(tests/bench/trace_gaps.py reads it)")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    helper = os.environ.get("ECS_ROLLOUT_BIN") or str(ROOT / "helper" / "ecs-rollout")
    if not os.path.exists(helper):
        sys.exit(f"{helper} is missing: run make first")

    if args.one is not None:
        print(json.dumps(run_one(args.one, args.time_scale, helper, args.batch, args.groups, args.throttle,
                                 args.profile_sim, args.trace, args.retry_mode,
                                 args.bulk_terminate_from)))
        return 0

    per_batch = sum(DEFAULT_DELAYS[k] for k in ("boot", "agent_register", "task_start", "task_deactivate",
                                                 "task_stop", "terminate"))
    print(f"ecs-rollout benchmark: AWS-like delays ({per_batch:.0f} simulated seconds per batch), "
          f"time scale {args.time_scale}, {args.groups} group(s), "
          f"{'throttled like AWS' if args.throttle else 'no throttling'}, "
          f"retry mode {args.retry_mode or 'the helper default'}, --bulk-terminate-from "
          f"{'the helper default' if args.bulk_terminate_from is None else args.bulk_terminate_from}, helper {helper}")
    try:
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at the start "
              "(wall times depend on it; CPU seconds and reads per poll do not)")
    except OSError:
        pass
    print(f"{'instances':>9} {'tasks':>6} {'batches':>7} {'wall s':>7} {'crit s':>6} {'ratio':>6} "
          f"{'requests':>8} {'polls':>5} {'reads/poll':>10} {'thrott':>6} {'heap MB':>7} "
          f"{'libs MB':>7} {'RSS MB':>6} {'cpu s':>6} {'sim cpu':>7} {'kills':>5} result")
    results = []
    for n in [int(x) for x in args.sizes.split(",")]:
        # A fresh process per size: the simulator's state is global, and the
        # peak memory of children is a process-wide maximum.
        cmd = [sys.executable, __file__, "--one", str(n), "--time-scale", str(args.time_scale),
               "--groups", str(args.groups)]
        if args.batch:
            cmd += ["--batch", str(args.batch)]
        if args.throttle:
            cmd += ["--throttle"]
        if args.retry_mode:
            cmd += ["--retry-mode", args.retry_mode]
        if args.bulk_terminate_from is not None:
            cmd += ["--bulk-terminate-from", str(args.bulk_terminate_from)]
        if args.profile_sim:
            cmd += ["--profile-sim", f"{args.profile_sim}.{n}"]
        if args.trace:
            cmd += ["--trace", f"{args.trace}.{n}"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            print(f"{n:>9} failed: {p.stderr[-2000:]}")
            results.append({"instances": n, "error": p.stderr[-2000:]})
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        results.append(r)
        print(f"{r['instances']:>9} {r['tasks']:>6} {r['batches']:>7} {r['wall_s']:>7.1f} "
              f"{r['critical_path_s']:>6.1f} {r['ratio']:>6.3f} "
              f"{r['requests']!s:>8} {r['polls']:>5} {r['reads_per_poll']!s:>10} "
              f"{r['throttles_total'] if r['throttled'] else '-':>6} {r['peak_anon_mb']:>7.2f} "
              f"{r['peak_file_mb']:>7.2f} {r['peak_rss_mb']:>6.1f} {r['helper_cpu_s']:>6.2f} "
              f"{r['sim_cpu_s']:>7.1f} {r['abrupt_kills']:>5} "
              f"{r['result']}{'' if r['exit'] == 0 else ' (exit ' + str(r['exit']) + ')'}")
        if r["stderr"]:
            print("   stderr:", r["stderr"].strip().replace("\n", "\n   "))
    print("goals: ratio <= 1.05; <= 15 reads per poll at 1,000 instances; heap < 8 MB; kills 0;")
    print("throttled: ratio <= 1.10x the unthrottled one.")
    print("heap is the helper's peak RssAnon (what it allocates); libs its peak RssFile (libcurl and")
    print("its dependencies, mapped before main() runs); RSS its peak resident set (VmHWM), both")
    print("together. cpu s: the helper's user+system CPU seconds; sim cpu: the simulator's (its")
    print("process, all threads).")
    for r in results:
        if "calls" not in r:
            continue
        print(f"  {r['instances']:>5} instances: {r['reads_per_poll']} reads per poll =")
        for api, per in r["reads_per_poll_by_api"].items():
            print(f"      {per:>6.2f}  {api:<42} {READ_REASONS.get(api, '')}")
        writes = {k: v for k, v in r["calls"].items() if k.split(":")[1] in WRITES}
        print("      writes: " + ", ".join(f"{k.split(':')[1]}={v}" for k, v in
                                       sorted(writes.items(), key=lambda kv: -kv[1]))
              + f"; drained batches removed by one scale-in (--bulk-terminate-from): {r.get('bulk_scale_ins', 0)}")
        if r.get("critical_path_by_scale_in_s"):
            print(f"      critical path by one scale-in (the activity starts {r['critical_path_by_scale_in_s'] - r['critical_path_s']:.1f} s "
                  f"after the desired change, AWS's side): {r['critical_path_by_scale_in_s']:.1f} s, "
                  f"ratio {r['ratio_by_scale_in']:.3f} (the table's ratio is against one termination call per instance, "
                  f"{r['critical_path_s']:.1f} s)")
        print(f"      simulator: {r['sim_request_s']:.1f} s answering requests (over {r['connections']} connections),"
              f" {r['sim_tick_s']:.1f} s in "
              f"its tick (time passing, launches included), {r['sim_launch_s']:.1f} s creating the new instances")
        lag, gcs = r["sim_event_lag"], r["sim_gc"]
        print(f"      simulator events: {lag['events']} run {lag['mean_s']:.3f} s late on average (max "
              f"{lag['max_s']:.2f} s, {lag['late']} over 0.1 s); {gcs['full']} full garbage collection(s), "
              f"{gcs['total_s']:.2f} s (max {gcs['max_s']:.2f} s)")
        if r["throttled"]:
            print("      throttled: " + (", ".join(f"{k}={v}" for k, v in r["throttles"].items()) or "none"))
            fl = r.get("throttle_floor")
            if fl:
                what = " + ".join(f"{n} {name.split(':')[1]}" for name, n in fl["calls"].items())
                how = ("the bulk scale-in: protection of the members that stay, 50 per call, then one "
                       "desired capacity change" if fl["bulk"] else "one per instance")
                print(f"      throttling floor: {what} calls ({how}, between the drain and the termination) "
                      f"against Auto Scaling's one bucket of {fl['capacity']} refilling {fl['refill_per_s']:g}/s "
                      f"({fl['source']}) take at least {fl['extra_s']:.1f} s: no run can "
                      f"take less than {r['critical_path_s']:.1f} + {fl['extra_s']:.1f} = {fl['wall_s']:.1f} s "
                      f"= {fl['ratio']:.3f} of the critical path (this one: {r['ratio']:.3f})")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
