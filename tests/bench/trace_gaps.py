#!/usr/bin/env python3
"""Where a rollout's time over the critical path goes, from a bench trace
(tests/bench/rollout_bench.py --trace FILE).

The critical path is the sum of the simulator's configured delays along one
batch (boot, agent registration, task start, task deactivation and stop,
termination: scenario.critical_path_of), so it is computed from the due times,
never from what the simulator did. This script walks back from the helper's
exit along the chain that ended last, one step at a time:

  helper exit        <- the last old instance terminated     (helper)
  terminated         <- its shutting-down                    (30 s, simulator lag beyond)
  shutting-down      <- its TerminateInstanceInAutoScalingGroup (simulator)
  terminate          <- the last of its tasks stopped         (helper)
  task stopped       <- its stop requested                    (15 s, simulator lag beyond)
  stop requested     <- the replacement that started last before it (simulator's scheduler)
  task running       <- task pending                          (15 s, simulator lag beyond)
  task pending       <- the drain (or registration) before it (simulator's scheduler)
  drain              <- the registration before it           (helper)
  registered         <- running                              (15 s, simulator lag beyond)
  running            <- SetDesiredCapacity                   (40 s, simulator lag beyond: creating
                                                              the instances, booting them)
  SetDesiredCapacity <- the helper's start                   (helper: start-up and pre-flight)

Each helper step is split into (a) waiting for its next poll to begin (the
sleep between polls, or the rest of a poll begun before the state changed) and
(c) the poll that saw the change up to the write: the time its requests waited
for the simulator's lock and were served (simulator), and the rest (the
helper's own latency: its CPU, its HTTP client, the decision). Each simulator
step beyond its delay is (b): events run later than due, requests waiting for
the lock. The figures add up to the wall time.

Usage: tests/bench/trace_gaps.py TRACE [TRACE...]
"""
import bisect
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


class Trace:
    def __init__(self, data):
        self.d = data
        base = data["helper_started"]
        off = data["ledger_t0"] - base  # timeline t -> seconds since the helper started
        self.end = data["helper_ended"] - base
        self.delays = data["delays"]
        by = {}
        for e in data["timeline"]:
            e = dict(e)
            e["t"] = e["t"] + off
            by.setdefault(e["event"], []).append(e)
        self.by = by
        self.requests = sorted(((a - base, b - base, c - base, name) for kind, a, b, c, name in
                                (r if r[0] == "request" else (None,) * 5 for r in data["trace"]) if kind),
                               key=lambda r: r[0])
        self.req_arrivals = [r[0] for r in self.requests]
        self.events = [(due - base, ran - base, name) for kind, due, ran, name in
                       (r for r in data["trace"] if r[0] == "event")]

    def per_instance(self, kind):
        out = {}
        for e in self.by.get(kind, []):
            out.setdefault(e["instance"], e["t"])
        return out

    def last_before(self, kinds, t, where=None):
        best = None
        for k in kinds:
            for e in self.by.get(k, []):
                if e["t"] <= t + 1e-9 and (where is None or where(e)) and (best is None or e["t"] > best["t"]):
                    best = e
        return best

    def writes(self, call):
        return sorted(e["t"] for e in self.by.get("write", []) if e["call"].endswith(":" + call))

    def helper_gap(self, frm, to, start=False):
        """Splits the helper's time from a state change (frm) to its act (to);
        start: from its start, all of it the helper's work (no poll wait)."""
        # The poll that saw the change: the last one to begin before the act
        # (it may have begun before the change, and seen it in a later read).
        polls = [r[0] for r in self.requests[:bisect.bisect_right(self.req_arrivals, to)]
                 if r[3] == "autoscaling:DescribeAutoScalingGroups"]
        p = frm if start or not polls else max(frm, polls[-1])
        p = min(p, to)
        inside = [(max(r[0], p), max(r[0], p, min(r[1], to)), min(r[2], to)) for r in self.requests
                  if r[0] < to and r[2] > p]
        lock = sum(b - a for a, b, _ in inside)
        served = sum(max(0.0, c - b) for _, b, c in inside)
        # Requests run side by side (a poll's, a fan-out's): the time they
        # covered, shared out between waiting and being served.
        covered = union(((a, c) for a, _, c in inside))
        ratio = covered / (lock + served) if lock + served > 0 else 0.0
        return {"poll_wait": p - frm, "lock_wait": lock * ratio, "served": served * ratio,
                "helper": (to - p) - covered}


def union(spans):
    total, cur = 0.0, None
    for a, b in sorted(spans):
        if cur is None or a > cur[1]:
            if cur:
                total += cur[1] - cur[0]
            cur = [a, b]
        else:
            cur[1] = max(cur[1], b)
    if cur:
        total += cur[1] - cur[0]
    return total


def walk(tr):
    """The chain that ended last, as (step, seconds, kind, nominal) rows."""
    rows = []
    dl = tr.delays
    term = tr.per_instance("instance_terminated")
    shut = tr.per_instance("instance_shutting_down")
    terming = tr.per_instance("instance_terminating")
    x, t_term = max(term.items(), key=lambda kv: kv[1])
    rows.append(("the helper notices the last termination and finishes", "helper", tr.helper_gap(t_term, tr.end)))
    rows.append(("termination (shutting-down -> terminated)", "sim", t_term - shut[x], dl["terminate"]))
    rows.append(("Terminate call -> shutting-down", "sim", shut[x] - terming[x], 0.0))
    last_stop = tr.last_before(["task_stopped"], terming[x], lambda e: e.get("instance") == x)
    if last_stop is None:
        rows.append(("(no task stopped on the instance)", "helper", tr.helper_gap(0.0, terming[x])))
        return rows
    rows.append(("drained -> its Terminate call", "helper", tr.helper_gap(last_stop["t"], terming[x])))
    req = tr.last_before(["task_stop_requested"], last_stop["t"], lambda e: e.get("task") == last_stop["task"])
    rows.append(("task stop (stop requested -> STOPPED)", "sim", last_stop["t"] - req["t"],
                 dl["task_deactivate"] + dl["task_stop"]))
    run = tr.last_before(["task_running"], req["t"])
    rows.append(("replacement running -> old task's stop requested (scheduler)", "sim", req["t"] - run["t"], 0.0))
    pend = tr.last_before(["task_pending"], run["t"], lambda e: e.get("task") == run["task"])
    rows.append(("task start (pending -> running)", "sim", run["t"] - pend["t"], dl["task_start"]))
    cause = tr.last_before(["container_instance_draining", "container_instance_registered"], pend["t"])
    rows.append((f"{cause['event'].split('_')[-1]} -> replacement pending (scheduler)", "sim",
                 pend["t"] - cause["t"], 0.0))
    if cause["event"] == "container_instance_draining":
        reg = tr.last_before(["container_instance_registered"], cause["t"])
        rows.append(("registered -> drain", "helper", tr.helper_gap(reg["t"], cause["t"])))
    else:
        reg = cause
    n = reg["instance"]
    running = tr.per_instance("instance_running")
    rows.append(("agent registration (running -> registered)", "sim", reg["t"] - running[n], dl["agent_register"]))
    sd = [t for t in tr.writes("SetDesiredCapacity") if t <= running[n]]
    t_sd = sd[-1] if sd else 0.0
    # The simulator's clock stands still while it creates the instances, so
    # their launch times say nothing of the lag: from the call to running.
    rows.append(("boot (SetDesiredCapacity -> running: creating the instances, booting)", "sim",
                 running[n] - t_sd, dl["boot"]))
    rows.append(("helper start -> SetDesiredCapacity (start-up, pre-flight)", "helper", tr.helper_gap(0.0, t_sd, start=True)))
    return rows[::-1]


def report(tr):
    rows = walk(tr)
    crit = sum(tr.delays[k] for k in ("boot", "agent_register", "task_start", "task_deactivate", "task_stop",
                                     "terminate"))
    tot = {"nominal": 0.0, "sim_lag": 0.0, "poll_wait": 0.0, "lock_wait": 0.0, "served": 0.0, "helper": 0.0}
    print(f"wall {tr.end:.1f} s, critical path {crit:.1f} s ({tr.end / crit:.3f}); the chain that ended last:")
    for row in rows:
        if row[1] == "sim":
            step, _, secs, nominal = row
            lag = secs - nominal
            tot["nominal"] += nominal
            tot["sim_lag"] += lag
            print(f"  {secs:7.2f} s  {step:<66} delay {nominal:5.1f}, (b) simulator lag {lag:6.2f}")
        else:
            step, _, g = row
            for k in ("poll_wait", "lock_wait", "served", "helper"):
                tot[k] += g[k]
            secs = sum(g.values())
            print(f"  {secs:7.2f} s  {step:<66} (a) poll wait {g['poll_wait']:5.2f}, lock wait {g['lock_wait']:5.2f}, "
                  f"served {g['served']:5.2f}, (c) helper {g['helper']:5.2f}")
    over = tr.end - crit
    print(f"over the critical path: {over:.1f} s = (a) poll waits {tot['poll_wait']:.1f} + (b) simulator "
          f"{tot['sim_lag'] + tot['lock_wait'] + tot['served']:.1f} (events late {tot['sim_lag']:.1f}, requests "
          f"waiting for its lock {tot['lock_wait']:.1f}, served {tot['served']:.1f}) + (c) helper {tot['helper']:.1f}"
          f" (sum of steps {sum(tot.values()):.1f} s against wall {tr.end:.1f} s)")
    if tr.events:
        lags = sorted(ran - due for due, ran, _ in tr.events)
        print(f"events: {len(lags)}, lag median {lags[len(lags) // 2]:.3f} s, p90 {lags[int(len(lags) * 0.9)]:.3f} s, "
              f"max {lags[-1]:.3f} s")
    if tr.requests:
        waits = sorted(r[1] - r[0] for r in tr.requests)
        print(f"requests: {len(waits)}, waiting for the lock: median {waits[len(waits) // 2]:.3f} s, "
              f"p90 {waits[int(len(waits) * 0.9)]:.3f} s, max {waits[-1]:.3f} s, total {sum(waits):.1f} s")
    return tot


def main():
    for path in sys.argv[1:]:
        print(path)
        report(Trace(load(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
