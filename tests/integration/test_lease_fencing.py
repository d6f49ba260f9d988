"""One controller at a time (issue 14, lease fencing). The rollout's lease is
a tag on the group; AWS offers no conditional write on tags, so the helper
re-reads the lease immediately before every write and on every poll, and a
run that finds the lease is not its own stops at once (exit 5, "another
rollout took over"), writing nothing more and leaving no tag of its own.
Lease age is measured against AWS's clock (the Date header of its answers)
and the local elapsed clock, never the local wall clock.

Each helper signs with its own access key, so the simulator's ledger says who
wrote what, in order (`writers`), and whether one wrote again after another
had started (an overlap: two controllers at once)."""
import signal
import subprocess
import time
import unittest

import testlib
from rollout import (Checks, container_instances, finish, group, new_template_version, run, scenario,
                     simulator, start)
from stallproxy import StallProxy

LEASE_SECONDS = 90  # ROLLOUT_LEASE_SECONDS in helper/src/rollout/state.h


def key(name):
    """An access key of the simulator's shape (moto does not check it unless iam_auth)."""
    return ("AKIA" + name.upper() + "0" * 16)[:20]


def as_(name, extra=None):
    env = {"AWS_ACCESS_KEY_ID": key(name)}
    env.update(extra or {})
    return env


def draining_count(sim):
    return sum(1 for c in container_instances(sim.client("ecs")) if c["status"] == "DRAINING")


def rollout_tags(sim):
    g = group(sim.client("autoscaling"))
    return {t["Key"]: t["Value"] for t in g.get("Tags", []) if t["Key"].startswith("ecs-rollout:")}


def lease_of(sim):
    v = rollout_tags(sim).get("ecs-rollout:lease")
    return dict(kv.split("=", 1) for kv in v.split(",")) if v else None


def writes_by(sim, name):
    return sum(w["writes"] for w in sim.ledger(timeline=False)["writers"] if w["access_key"] == key(name))


def put_lease(sim, host, expires, token="feedface", pid=1, state=True):
    """Another machine's lease (with the state of a rollout of a 2-instance group that changed
    nothing yet, unless state=False)."""
    tags = [("ecs-rollout:lease", f"host={host},pid={pid},token={token},expires={int(expires)}")]
    if state:
        tags += [("ecs-rollout:original", "min=0,max=12,desired=2"), ("ecs-rollout:suspended", "-")]
    sim.client("autoscaling").create_or_update_tags(Tags=[
        {"ResourceId": "prod-asg", "ResourceType": "auto-scaling-group", "Key": k, "Value": v,
         "PropagateAtLaunch": False} for k, v in tags])


class FencingChecks(Checks):
    def assertOneControllerAtATime(self, sim, names):
        """Among the helpers' keys, none wrote again once another had written after it."""
        keys = {key(n): n for n in names}
        seq = [keys[w["access_key"]] for w in sim.ledger(timeline=False)["writers"] if w["access_key"] in keys]
        runs = [n for i, n in enumerate(seq) if i == 0 or seq[i - 1] != n]
        self.assertEqual(len(runs), len(set(runs)), f"controllers interleaved: {runs}")
        return runs

    def assertTookOver(self, r):
        self.assertEqual(r.rc, 5, r)
        self.assertEqual(r.done()["result"], "busy", r)
        self.assertIn("another rollout took over", r.done()["message"], r)


class StalledOwner(FencingChecks, unittest.TestCase):
    def test_a_stalled_owner_wakes_after_a_takeover_and_stops_at_once_writing_nothing(self):
        # A stops (SIGSTOP: a laptop that sleeps, a frozen VM) mid-drain for longer than its
        # lease. B, on the same machine, finds A's process alive but the lease expired by AWS's
        # clock, takes over and finishes. A wakes (SIGCONT): it must not renew blindly or act
        # on the group; it ends at once with exit 5.
        with simulator(scenario(instances=3, tasks=6), time_scale=0.02) as sim:
            v = new_template_version(sim)
            a = start(sim, env=as_("owner-a"))
            stopped = False
            try:
                sim.wait_until(lambda: draining_count(sim) > 0, timeout=120, interval=0.01)
                a.send_signal(signal.SIGSTOP)
                stopped = True
                lease = lease_of(sim)
                self.assertIsNotNone(lease)
                # Still held while A sleeps within its lease: B stays out.
                early = run(sim, env=as_("early"))
                self.assertEqual(early.rc, 5, early)
                self.assertEqual(early.done()["result"], "busy", early)
                self.assertEqual(writes_by(sim, "early"), 0)
                # Past the lease by AWS's clock (the simulator's Date is this machine's clock).
                time.sleep(max(0.0, int(lease["expires"]) - time.time() + 2))
                b = run(sim, env=as_("owner-b"))
                self.assertEqual(b.rc, 0, b)
                self.assertTrue(any("taking over" in e.get("message", "") for e in b.events()), b)
                a_writes = writes_by(sim, "owner-a")
                t_wake = time.monotonic()
                a.send_signal(signal.SIGCONT)
                stopped = False
                r = finish(a, timeout=60)
            finally:
                if stopped:
                    a.send_signal(signal.SIGCONT)
                if a.poll() is None:
                    a.kill()
            self.assertTookOver(r)
            self.assertLess(time.monotonic() - t_wake, 30, "A did not stop at once")
            self.assertEqual(writes_by(sim, "owner-a"), a_writes, "A wrote after waking")
            self.assertEqual(self.assertOneControllerAtATime(sim, ["owner-a", "owner-b"]), ["owner-a", "owner-b"])
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3, max_size=12)

    def test_stalls_one_after_another_each_owner_stops_when_it_wakes(self):
        # Three owners in turn stall mid-rollout; AWS's clock moves past each one's lease
        # while it sleeps (the clock_offset_s fault jumps it ahead: what AWS sees of a long
        # stall, without waiting it out); the next takes over. Woken, each stops at once
        # without writing, and the last one finishes. The ledger never shows two at once.
        names = ["s1", "s2", "s3", "s4"]
        # The first stalls mid-drain, the next two once they have acted (three writes).
        moments = [lambda sim, n: draining_count(sim) > 0] + [lambda sim, n: writes_by(sim, n) >= 3] * 2
        # One instance per batch, 0.05 s per AWS second: four batches leave time for three stalls.
        with simulator(scenario(instances=4, tasks=8), time_scale=0.05) as sim:
            v = new_template_version(sim)
            procs, offset, stalls = [], 0, 0
            try:
                for i, moment in enumerate(moments):
                    p = start(sim, "--batch-size", "1", env=as_(names[i]))
                    procs.append(p)
                    sim.wait_until(lambda: writes_by(sim, names[i]) > 1 and moment(sim, names[i]),
                                   timeout=180, interval=0.01, message=f"{names[i]} at work")
                    p.send_signal(signal.SIGSTOP)
                    offset += LEASE_SECONDS + 30
                    sim.set_faults({"cluster": {"clock_offset_s": offset}})
                    stalls += 1
                last = run(sim, "--batch-size", "1", env=as_(names[-1]))
                self.assertEqual(last.rc, 0, last)
                for i, p in enumerate(procs):
                    before = writes_by(sim, names[i])
                    p.send_signal(signal.SIGCONT)
                    r = finish(p, timeout=60)
                    self.assertTookOver(r)
                    self.assertEqual(writes_by(sim, names[i]), before, f"{names[i]} wrote after waking")
            finally:
                for p in procs:
                    if p.poll() is None:
                        p.send_signal(signal.SIGCONT)
                        p.kill()
            self.assertEqual(stalls, 3)
            self.assertEqual(self.assertOneControllerAtATime(sim, names), names)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=4, max_size=12)


class SimultaneousStarts(FencingChecks, unittest.TestCase):
    HELPERS = 4
    ROUNDS = 5

    def test_of_n_runs_started_at_once_exactly_one_proceeds_many_times_over(self):
        # N runs start at once, round after round; writes of the lease tag come back after a
        # random delay (one client's slow network), so a run's write can land after another
        # has written and looked. Exactly one proceeds, the others exit 5. Each round but the
        # last stops its survivor (SIGTERM: exit 4, lease released) and the next round's runs
        # race to resume; the last round's survivor finishes.
        tried = 0
        with simulator(scenario(instances=2, tasks=4), time_scale=0.02) as sim:
            v = new_template_version(sim)
            # Until the last round no instance can launch (the account's limit), so a round's
            # survivor is still at work, waiting for new instances, when the round ends.
            sim.set_faults({"api": [{"action": "autoscaling:CreateOrUpdateTags", "latency_ms": [0, 400]}],
                            "cluster": {"account_limit": 2}})
            names = []
            for rnd in range(self.ROUNDS):
                if rnd == self.ROUNDS - 1:
                    sim.set_faults({"cluster": {"account_limit": None}})
                batch = [f"r{rnd}h{i}" for i in range(self.HELPERS)]
                names += batch
                procs = [start(sim, env=as_(n)) for n in batch]
                tried += len(procs)
                try:
                    sim.wait_until(lambda: sum(p.poll() is not None for p in procs) >= self.HELPERS - 1,
                                   timeout=120, interval=0.02, message="all runs but one ended")
                    # A run that still thinks it won would end soon: give it the time of a few polls.
                    time.sleep(3)
                    running = [p for p in procs if p.poll() is None]
                    if rnd == self.ROUNDS - 1:
                        ends = [finish(p) for p in procs]
                    else:
                        self.assertEqual(len(running), 1, [finish(p) for p in procs if p not in running])
                        running[0].send_signal(signal.SIGTERM)
                        ends = [finish(p) for p in procs]
                finally:
                    for p in procs:
                        if p.poll() is None:
                            p.kill()
                want = 0 if rnd == self.ROUNDS - 1 else 4
                self.assertEqual(sorted(e.rc for e in ends), sorted([want] + [5] * (self.HELPERS - 1)), ends)
                for e in ends:
                    if e.rc == 5:
                        self.assertEqual(e.done()["result"], "busy", e)
                        self.assertIn("another rollout", e.done()["message"], e)
            self.assertOneControllerAtATime(sim, names)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2, max_size=12)
        self.assertEqual(tried, self.HELPERS * self.ROUNDS)
        print(f"simultaneous starts tried: {tried} ({self.ROUNDS} rounds of {self.HELPERS})")


class SkewedClock(FencingChecks, unittest.TestCase):
    def test_a_machine_whose_clock_is_ahead_does_not_take_over_early(self):
        # Another machine holds the lease for 60 s more by AWS's clock. This machine's clock
        # is 5 minutes ahead of AWS's: by its wall clock the lease ran out long ago.
        with simulator(scenario(instances=2, tasks=4), time_scale=0.02) as sim:
            new_template_version(sim)
            sim.set_faults({"cluster": {"clock_offset_s": -300}})
            put_lease(sim, "elsewhere/00000000", time.time() - 300 + 60)
            r = run(sim, env=as_("skewed"))
            self.assertEqual(r.rc, 5, r)
            self.assertEqual(r.done()["result"], "busy", r)
            self.assertIn("elsewhere", r.done()["message"], r)
            self.assertEqual(writes_by(sim, "skewed"), 0)
            self.assertEqual(lease_of(sim)["token"], "feedface")

    def test_a_machine_whose_clock_is_behind_takes_over_a_lease_that_expired(self):
        # The lease ran out 10 s ago by AWS's clock; this machine's clock is 5 minutes behind,
        # so by its wall clock the lease has almost 5 minutes left. It takes over now.
        with simulator(scenario(instances=2, tasks=4), time_scale=0.02) as sim:
            v = new_template_version(sim)
            sim.set_faults({"cluster": {"clock_offset_s": 300}})
            put_lease(sim, "elsewhere/00000000", time.time() + 300 - 10)
            r = run(sim, env=as_("behind"))
            self.assertEqual(r.rc, 0, r)
            self.assertTrue(any("taking over" in e.get("message", "") and "lease expired" in e["message"]
                                for e in r.events()), r)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2, max_size=12)


class StopsDuringTheStart(FencingChecks, unittest.TestCase):
    def test_sigterm_while_the_lease_is_taken_stops_resumably_and_releases_it(self):
        # The answer to the first tag write (the rollout's state and lease) stalls; SIGTERM
        # then: exit 4 ("interrupted"), the lease released, a re-run resumes and finishes.
        with simulator(scenario(instances=2, tasks=4), time_scale=0.02) as sim, \
                StallProxy(sim.endpoint) as proxy:
            v = new_template_version(sim)
            proxy.arm("CreateOrUpdateTags")
            proc = start(sim, env=as_("stopped", {"AWS_ENDPOINT_URL": proxy.endpoint}))
            try:
                proxy.wait_stalled()
                proc.send_signal(signal.SIGTERM)
                r = finish(proc, timeout=30)
            finally:
                proxy.release()
            self.assertEqual(r.rc, 4, r)
            self.assertEqual(r.done()["result"], "interrupted", r)
            tags = rollout_tags(sim)
            self.assertIn("ecs-rollout:original", tags)
            self.assertNotIn("ecs-rollout:lease", tags)
            self.assertZeroDowntime(sim)
            again = run(sim)
            self.assertEqual(again.rc, 0, again)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2, max_size=12)

    def test_release_leaves_a_lease_that_is_not_ours(self):
        # A run stopped (SIGTERM) just after another took its lease over must not delete the
        # new owner's lease on its way out.
        with simulator(scenario(instances=3, tasks=6), time_scale=0.02) as sim, \
                StallProxy(sim.endpoint) as proxy:
            new_template_version(sim)
            proc = start(sim, env=as_("old", {"AWS_ENDPOINT_URL": proxy.endpoint}))
            try:
                sim.wait_until(lambda: draining_count(sim) > 0, timeout=120, interval=0.01)
                proxy.arm("DescribeAutoScalingGroups")
                proxy.wait_stalled()
                put_lease(sim, "elsewhere/00000000", time.time() + 600, token="0123abcd", state=False)
                proc.send_signal(signal.SIGTERM)
                r = finish(proc, timeout=30)
            finally:
                proxy.release()
            self.assertIn(r.rc, (4, 5), r)
            self.assertEqual((lease_of(sim) or {}).get("token"), "0123abcd", r)

    def test_a_second_signal_kills_at_once(self):
        # The first SIGTERM starts a clean stop, whose last calls may wait on AWS (here an
        # answer that stalls); a second one ends the process at once (SA_RESETHAND). The
        # group keeps its state and a re-run finishes.
        with simulator(scenario(instances=2, tasks=4), time_scale=0.02) as sim, \
                StallProxy(sim.endpoint) as proxy:
            v = new_template_version(sim)
            proc = start(sim, env=as_("twice", {"AWS_ENDPOINT_URL": proxy.endpoint}))
            try:
                sim.wait_until(lambda: draining_count(sim) > 0, timeout=120, interval=0.01)
                proxy.arm()
                proxy.wait_stalled()
                proxy.arm()  # and the one after: the clean stop's own call stalls too
                proc.send_signal(signal.SIGTERM)
                sim.wait_until(lambda: proxy.stalled >= 2 or proc.poll() is not None, timeout=30,
                               interval=0.01, message="the stop's own call")
                t = time.monotonic()
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                r = finish(proc, timeout=30)
                took = time.monotonic() - t
            finally:
                proxy.release()
            self.assertEqual(r.rc, -signal.SIGTERM, r)
            self.assertLess(took, 2.0)
            self.assertZeroDowntime(sim)
            again = run(sim)
            self.assertEqual(again.rc, 0, again)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2, max_size=12)


if __name__ == "__main__":
    testlib.main()
