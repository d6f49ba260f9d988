#!/usr/bin/env python3
"""make bench: one rollout per cluster size on the simulator, with AWS-like
delays, and the figures that matter:

  ratio     the helper's wall time / the scenario's critical path (the
            simulator's own delays along boot -> register -> move tasks ->
            terminate, per batch); goal: <= 1.05
  requests  AWS requests the helper made, and per poll (a poll is one
            DescribeAutoScalingGroups); goal: growing with instances/100
            per poll, not with instances
  memory    the helper's peak resident memory; goal: < 10 MB

The helper polls once per simulated second (--poll-interval scaled by the
time scale), as it would against AWS. Figures are printed, never asserted.

Usage: tests/bench/rollout_bench.py [--sizes 3,50,1000] [--time-scale 0.5] [--json FILE]
"""
import argparse
import json
import os
import pathlib
import threading
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests" / "lib"), str(ROOT / "tests")]

from sim import Simulator  # noqa: E402
from sim.engine import DEFAULT_DELAYS  # noqa: E402
from sim.testing import AMI_NEW, AMI_OLD  # noqa: E402

WRITES = ("SetDesiredCapacity", "UpdateAutoScalingGroup", "TerminateInstanceInAutoScalingGroup",
          "SuspendProcesses", "ResumeProcesses", "CreateOrUpdateTags", "DeleteTags",
          "UpdateContainerInstancesState", "StopTask")


def scenario(n, tasks_per_instance=3):
    return {
        "region": "us-east-1",
        "seed": 42,
        "clusters": [{"name": "bench"}],
        "task_definitions": [{"family": "web", "cpu": 256, "memory": 512}],
        "auto_scaling_groups": [{"name": "bench-asg", "cluster": "bench", "ami": AMI_OLD,
                                 "instance_type": "m5.large", "min": 0, "max": 2 * n, "desired": n,
                                 "launch_template": "bench-lt"}],
        "services": [{"cluster": "bench", "name": "web", "task_definition": "web",
                      "desired": tasks_per_instance * n, "minimum_healthy_percent": 100,
                      "maximum_percent": 200}],
    }


def run_one(n, time_scale, helper, batch=None):
    sc = scenario(n)
    with Simulator(scenario=sc, time_scale=time_scale) as sim:
        settle = sim.started_in
        ec2 = sim.client("ec2")
        ec2.create_launch_template_version(LaunchTemplateName="bench-lt", SourceVersion="1",
                                           LaunchTemplateData={"ImageId": AMI_NEW})
        before = dict(sim.ledger(timeline=False)["api_calls"])
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(sim.env())
        env["AWS_CONFIG_FILE"] = "/nonexistent"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent"
        argv = [helper, "--asg-name", "bench-asg", "--cluster-name", "bench", "--output", "json",
                "--poll-interval", f"{max(0.05, 1.0 * time_scale):.3f}", "--timeout", "3600"]
        if batch:
            argv += ["--batch-size", str(batch)]
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak = {"kb": 0, "anon_kb": 0}
        stop = threading.Event()

        def watch():
            # VmHWM: the helper's own high-water mark of resident memory (after
            # exec; ru_maxrss of a child forked from this large Python process
            # would count the parent's pages too).
            while not stop.is_set():
                try:
                    for line in open(f"/proc/{proc.pid}/status"):
                        if line.startswith("VmHWM:"):
                            peak["kb"] = max(peak["kb"], int(line.split()[1]))
                        elif line.startswith("RssAnon:"):
                            peak["anon_kb"] = max(peak["anon_kb"], int(line.split()[1]))
                except OSError:
                    pass
                stop.wait(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        out, err = proc.communicate()
        wall = time.monotonic() - t0
        stop.set()
        watcher.join()
        peak_kb, anon_kb = peak["kb"], peak["anon_kb"]
        done = None
        for line in out.splitlines():
            if line.startswith("{"):
                ev = json.loads(line)
                if ev.get("event") == "done":
                    done = ev
        led = sim.ledger(timeline=True)
        # The simulator creates the new instances inside SetDesiredCapacity
        # (moto's EC2 is slow at that); AWS answers at once and launches in the
        # background. That time is the simulator's, not the helper's.
        tl = led.pop("timeline", [])
        scale_out = [e["t"] for e in tl if e["event"] == "desired_capacity" and e.get("cause") == "SetDesiredCapacity"]
        launched = [e["t"] for e in tl if e["event"] == "instance_launched"]
        sim_launch = 0.0
        if scale_out and launched:
            first = min(scale_out)
            after = [t for t in launched if t >= first]
            if after:
                sim_launch = (max(after) - first) * time_scale
        calls = {k: v - before.get(k, 0) for k, v in led["api_calls"].items() if v - before.get(k, 0)}
        batches = (done or {}).get("batches") or 1
        crit = sim.critical_path(batches=batches)
        polls = calls.get("autoscaling:DescribeAutoScalingGroups", 0)
        reads = sum(v for k, v in calls.items() if k.split(":")[1] not in WRITES)
        return {
            "instances": n,
            "tasks": 3 * n,
            "time_scale": time_scale,
            "exit": proc.returncode,
            "result": (done or {}).get("result"),
            "batches": batches,
            "settle_s": round(settle, 2),
            "wall_s": round(wall, 2),
            "critical_path_s": crit["total_real_seconds"],
            "ratio": round(wall / crit["total_real_seconds"], 3),
            "sim_launch_s": round(sim_launch, 2),
            "ratio_without_sim_launch": round((wall - sim_launch) / crit["total_real_seconds"], 3),
            "requests": (done or {}).get("aws_requests"),
            "requests_seen_by_simulator": sum(calls.values()),
            "polls": polls,
            "reads_per_poll": round(reads / polls, 1) if polls else None,
            "peak_rss_mb": round(peak_kb / 1024, 2),
            "peak_anon_mb": round(anon_kb / 1024, 2),
            "zero_downtime": led["zero_downtime"],
            "abrupt_kills": len(led["abrupt_kills"]),
            "calls": calls,
            "stderr": err[-2000:] if proc.returncode else "",
        }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="3,50,1000")
    ap.add_argument("--time-scale", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    helper = os.environ.get("ECS_ROLLOUT_BIN") or str(ROOT / "helper" / "ecs-rollout")
    if not os.path.exists(helper):
        sys.exit(f"{helper} is missing: run make first")

    if args.one is not None:
        print(json.dumps(run_one(args.one, args.time_scale, helper, args.batch)))
        return 0

    per_batch = sum(DEFAULT_DELAYS[k] for k in ("boot", "agent_register", "task_start", "task_deactivate",
                                                 "task_stop", "terminate"))
    print(f"ecs-rollout benchmark: AWS-like delays ({per_batch:.0f} simulated seconds per batch), "
          f"time scale {args.time_scale}, helper {helper}")
    print(f"{'instances':>9} {'tasks':>6} {'batches':>7} {'wall s':>8} {'critical s':>10} {'ratio':>6} "
          f"{'sim launch s':>12} {'ratio*':>6} {'requests':>8} {'polls':>5} {'reads/poll':>10} {'RSS MB':>6} "
          f"{'heap MB':>7} {'kills':>5} result")
    results = []
    for n in [int(x) for x in args.sizes.split(",")]:
        # A fresh process per size: the simulator's state is global, and the
        # peak memory of children is a process-wide maximum.
        cmd = [sys.executable, __file__, "--one", str(n), "--time-scale", str(args.time_scale)]
        if args.batch:
            cmd += ["--batch", str(args.batch)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            print(f"{n:>9} failed: {p.stderr[-2000:]}")
            results.append({"instances": n, "error": p.stderr[-2000:]})
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        results.append(r)
        print(f"{r['instances']:>9} {r['tasks']:>6} {r['batches']:>7} {r['wall_s']:>8.1f} "
              f"{r['critical_path_s']:>10.1f} {r['ratio']:>6.3f} {r['sim_launch_s']:>12.1f} "
              f"{r['ratio_without_sim_launch']:>6.3f} {r['requests']!s:>8} {r['polls']:>5} "
              f"{r['reads_per_poll']!s:>10} {r['peak_rss_mb']:>6.1f} {r['peak_anon_mb']:>7.2f} {r['abrupt_kills']:>5} "
              f"{r['result']}{'' if r['exit'] == 0 else ' (exit ' + str(r['exit']) + ')'}")
        if r["stderr"]:
            print("   stderr:", r["stderr"].strip().replace("\n", "\n   "))
    print("goals: ratio <= 1.05; reads per poll growing with instances/100; peak memory < 10 MB; kills 0")
    print("ratio* leaves out the time the simulator itself spends creating the new instances inside")
    print("SetDesiredCapacity (AWS answers at once and launches in the background).")
    print("RSS is the helper's peak resident set, shared libraries included (libcurl and its")
    print("dependencies map ~8 MB before main() runs); heap is its peak anonymous memory (RssAnon),")
    print("what the helper itself allocates.")
    for r in results:
        if "calls" in r:
            top = sorted(r["calls"].items(), key=lambda kv: -kv[1])[:8]
            print(f"  {r['instances']:>5} instances, calls: " + ", ".join(f"{k}={v}" for k, v in top))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
