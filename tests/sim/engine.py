"""The simulation engine: one lock, one clock, the indexes over moto's state,
and the background thread that makes time pass.

moto's backends are not thread-safe, so every API request (see httpserver.py)
and every tick take `engine.lock`. The tick runs the due events (an instance
finished booting, a task started...) and then reconciles what became dirty: Auto
Scaling groups whose instances no longer match their desired capacity, ECS
services whose tasks no longer match their desired count. Work is indexed by
instance, container instance, task and service, so a tick costs what changed,
not the size of the fleet."""
import gc
import random
import threading
import time

from moto.core import DEFAULT_ACCOUNT_ID

from .faults import FaultState
from .ledger import Ledger
from .simclock import SimClock

# AWS seconds. Overridable per scenario ([delays]) and per Simulator.
DEFAULT_DELAYS = {
    "boot": 40.0,             # EC2 pending -> running, Auto Scaling Pending -> InService
    "agent_register": 15.0,   # running -> ECS container instance registered
    "task_start": 15.0,       # task PENDING -> RUNNING (image pull, container start)
    "task_deactivate": 5.0,   # task DEACTIVATING (load balancer deregistration) before STOPPING
    "task_stop": 10.0,        # task STOPPING -> STOPPED (SIGTERM, stopTimeout)
    "terminate": 30.0,        # EC2 shutting-down -> terminated
    "deregister": 10.0,       # ECS notices a dead instance: tasks STOPPED, container instance INACTIVE
    "health_check": 15.0,     # Auto Scaling notices an instance terminated outside of it
    "launch_retry": 10.0,     # Auto Scaling retries a failed launch
    "scale_in": 5.0,          # a lower desired capacity -> the scale-in activity chooses its victims
    "agent_retry": 30.0,      # the ECS agent retries a failed registration
    "stopped_task_retention": 3600.0,  # STOPPED tasks stay visible this long
}

# ECS's service scheduler acts on what changed asynchronously (the Amazon ECS
# Developer Guide, "Amazon ECS services", gives no reaction time); the simulator
# runs a service pass woken only by changes at most this many AWS seconds after
# the previous one, so that a burst of calls (100 UpdateContainerInstancesState
# calls draining 1,000 instances, 8 at a time) makes a few passes over the
# service's tasks rather than one per call, each holding the engine lock while
# the next calls wait. Due events still run on time, with a pass after them.
SERVICE_PASS_GAP = 0.05


def asg_backend(region, account=DEFAULT_ACCOUNT_ID):
    from moto.autoscaling.models import autoscaling_backends
    return autoscaling_backends[account][region]


def ec2_backend(region, account=DEFAULT_ACCOUNT_ID):
    from moto.ec2.models import ec2_backends
    return ec2_backends[account][region]


def ecs_backend(region, account=DEFAULT_ACCOUNT_ID):
    from moto.ecs.models import ecs_backends
    return ecs_backends[account][region]


class Engine:
    def __init__(self, region="us-east-1", time_scale=1.0, delays=None, seed=0, tick=1.0):
        self.lock = threading.RLock()
        self.region = region
        self.clock = SimClock(time_scale)
        unknown = set(delays or {}) - set(DEFAULT_DELAYS)
        if unknown:
            raise ValueError(f"unknown delays {sorted(unknown)}; known: {sorted(DEFAULT_DELAYS)}")
        self.delays = dict(DEFAULT_DELAYS, **{k: float(v) for k, v in (delays or {}).items()})
        self.seed = seed
        self.rng = random.Random(seed)
        self.faults = FaultState(seed)
        self.ledger = Ledger(self.clock)
        # The longest the tick thread sleeps with nothing due: it is woken by what
        # gives it work (an earlier event: SimClock.on_earlier; a dirty group or
        # service; a poke), not by polling, which cost an idle simulator 50
        # wake-ups a second.
        self.tick_interval = tick
        self._services_passed_at = -1e9  # time.monotonic() of the last service pass
        self._wake = threading.Event()
        self.clock.on_earlier = self._wake.set
        # Counts what may have changed the simulation: ticks that did work, AWS
        # requests (httpserver), pokes. Simulator.wait_until calls its predicate
        # again once this moved rather than at every interval.
        self.changes = 0
        self._stop = threading.Event()
        self._thread = None
        self.tick_stats = {"ticks": 0, "busy": 0, "total_ms": 0.0, "max_ms": 0.0, "events": 0}
        # How late events ran against their due times (AWS seconds): what a rollout loses to
        # a busy simulator, since each event schedules the next one from when it ran.
        self.lag_stats = {"events": 0, "total_s": 0.0, "max_s": 0.0, "late": 0}
        # Python's full (generation 2) collections while the simulator runs: each
        # stops every thread, requests and tick alike.
        self.gc_stats = {"full": 0, "total_s": 0.0, "max_s": 0.0}
        self._gc_started = None
        self.request_stats = {}
        # None, or a list that receives ("event", due, ran, name) per event run and
        # ("request", arrived, started, ended, name) per AWS request (AWS seconds): the
        # bench's --trace.
        self.trace = None
        self.errors = []
        from .ecs_agent import Agent
        from .ecs_scheduler import Scheduler
        from .fleet import Fleet
        self.fleet = Fleet(self)
        self.agent = Agent(self)
        self.sched = Scheduler(self)
        from .capacity_providers import CapacityProviders
        from .scaling import Scaling
        self.scaling = Scaling(self)      # policies, alarms, scheduled actions
        self.capacity = CapacityProviders(self)  # ECS capacity providers' managed features
        from .refresh import InstanceRefreshes
        self.refresh = InstanceRefreshes(self)   # Auto Scaling instance refreshes
        self._reset_indexes()

    def _reset_indexes(self):
        self.instances = {}        # EC2 instance id -> fleet.SimInstance
        self.cis = {}              # container instance id -> moto ContainerInstance (INACTIVE too)
        self.ci_by_ec2 = {}        # EC2 instance id -> container instance id (latest)
        self.tasks = {}            # task id -> moto Task
        self.services = {}         # service ARN -> moto Service
        self.dirty_groups = set()  # (region, group name)
        self.dirty_services = set()
        self.activities = {}       # (region, group name) -> [activity dict], newest last
        self.live_instances = {}   # region -> instances not yet terminated
        self.hook_owners = {}      # (group, hook name) -> who completes its actions (lifecycle.py)
        self.unavailable_types = {}  # group name -> instance types EC2 has no capacity for (mixed.py)
        self.group_audit = {}      # group name -> its configuration when the run started (group_audit.py)
        self.clock.clear()
        self.scaling.reset()
        self.capacity.reset()
        self.refresh.reset()

    # Time.
    def now(self):
        return self.clock.now()

    def delay(self, name):
        """A configured delay in AWS seconds."""
        return self.delays[name]

    def schedule(self, delay, fn, *args):
        """Runs fn(*args) `delay` AWS seconds from now."""
        return self.clock.schedule(delay, fn, *args)

    # Dirty marks: reconciled by the next tick.
    def mark_group(self, region, name):
        self.dirty_groups.add((region, name))
        self._wake.set()

    def mark_service(self, service):
        self.dirty_services.add(service.arn)
        self.services.setdefault(service.arn, service)
        self._wake.set()

    def mark_cluster(self, region, cluster_name):
        for svc in list(self.services.values()):
            if svc.cluster_name == cluster_name and svc.region_name == region:
                self.dirty_services.add(svc.arn)
        self._wake.set()

    def poke(self):
        self.changes += 1
        self._wake.set()

    # The background thread.
    def start(self):
        if self._thread:
            return
        self._stop.clear()
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)
        self._thread = threading.Thread(target=self._loop, name="sim-tick", daemon=True)
        self._thread.start()

    def _on_gc(self, phase, info):
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            took = time.perf_counter() - self._gc_started
            self._gc_started = None
            st = self.gc_stats
            st["full"] += 1
            st["total_s"] += took
            st["max_s"] = max(st["max_s"], took)

    def stop(self):
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self):
        while not self._stop.is_set():
            with self.lock:
                # Wake-ups from here on count (those during the step are its own
                # doing; the wait below is computed after it).
                self._wake.clear()
                started = time.perf_counter()
                try:
                    worked = self.step()
                except Exception as e:  # keep time flowing; the ledger says something broke
                    self._record_error(f"tick: {type(e).__name__}: {e}")
                    worked = True
                ms = (time.perf_counter() - started) * 1000.0
                st = self.tick_stats
                st["ticks"] += 1
                if worked:
                    self.changes += 1
                    st["busy"] += 1
                    st["total_ms"] += ms
                    st["max_ms"] = max(st["max_ms"], ms)
                wait = self._next_wait()
            if wait > 0 and not self._stop.is_set():
                self._wake.wait(timeout=wait)
            self._hold_service_pass()

    def _next_wait(self):
        """Real seconds until the tick has something to do (lock held)."""
        due = self.clock.next_due()
        wait = self.tick_interval
        if due is not None:
            wait = min(wait, max(0.0, self.clock.real(due - self.clock.now())))
        if self.dirty_groups:
            return 0.0
        if self.dirty_services:
            # Real seconds, so that a paused clock does not hold the pass back.
            gap = self._services_passed_at + self.clock.real(SERVICE_PASS_GAP) - time.monotonic()
            wait = min(wait, max(0.0, gap))
        return wait

    def _hold_service_pass(self):
        """Woken by a change to a service alone, the tick waits out SERVICE_PASS_GAP
        (calls keep being served meanwhile); a due event or a dirty group ends it."""
        while not self._stop.is_set():
            with self.lock:
                if not self.dirty_services:
                    return
                wait = self._next_wait()
            if wait <= 0:
                return
            time.sleep(wait)

    def step(self, rounds=20):
        """Runs due events and reconciles dirty groups and services; True if it did anything."""
        worked = False
        for _ in range(rounds):
            did = False
            now = self.clock.now()
            for _ in range(100000):
                ev = self.clock.pop_due(now)
                if ev is None:
                    break
                did = True
                self.tick_stats["events"] += 1
                ran = self.clock.now()
                self._note_lag(ev, ran)
                self._guard(ev.fn, *ev.args)
            if self.dirty_groups:
                groups, self.dirty_groups = self.dirty_groups, set()
                for region, name in sorted(groups):
                    self._guard(self.fleet.reconcile, region, name)
                did = True
            if self.dirty_services:
                self._services_passed_at = time.monotonic()
                arns, self.dirty_services = self.dirty_services, set()
                for arn in sorted(arns):
                    svc = self.services.get(arn)
                    if svc is not None:
                        self._guard(self.sched.reconcile, svc)
                did = True
            worked = worked or did
            if not did:
                break
        return worked

    def _note_lag(self, ev, ran):
        lag = max(0.0, ran - ev.due)
        st = self.lag_stats
        st["events"] += 1
        st["total_s"] += lag
        st["max_s"] = max(st["max_s"], lag)
        if lag > 0.1:
            st["late"] += 1
        if self.trace is not None:
            self.trace.append(("event", ev.due, ran, getattr(ev.fn, "__qualname__", str(ev.fn))))

    def _guard(self, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # a bug in the dynamics must not stop the clock
            import traceback
            traceback.print_exc()
            self._record_error(f"{getattr(fn, '__qualname__', fn)}: {type(e).__name__}: {e}")

    def _record_error(self, msg):
        if len(self.errors) < 1000:
            self.errors.append(msg)
        self.ledger.event("simulator_error", error=msg)

    def settle(self, horizon=900.0, timeout=300.0):
        """Lets simulated time pass instantly until nothing is left to do within
        `horizon` AWS seconds: a scenario's resources start in their steady state."""
        deadline = time.monotonic() + timeout
        skipped = 0.0
        with self.lock:
            while time.monotonic() < deadline:
                self.step(rounds=1000)
                if self.dirty_groups or self.dirty_services:
                    continue
                due = self.clock.next_due()
                if due is None:
                    break
                gap = due - self.clock.now()
                if gap > 0:
                    if skipped + gap > horizon:
                        break
                    self.clock.fast_forward(gap)
                    skipped += gap
        return skipped

    def reset(self):
        """Forgets everything: moto's state, the indexes, faults and the ledger."""
        from moto.moto_api._internal.models import moto_api_backend
        with self.lock:
            moto_api_backend.reset()
            self._reset_indexes()
            self.faults.clear()
            self.ledger.reset()
            self.errors.clear()

    def request_time(self, name, seconds):
        """Server-side time of one AWS request (with the lock held), per action."""
        st = self.request_stats.setdefault(name, {"count": 0, "total_ms": 0.0, "max_ms": 0.0})
        ms = seconds * 1000.0
        st["count"] += 1
        st["total_ms"] += ms
        st["max_ms"] = max(st["max_ms"], ms)

    # Helpers used across modules.
    def activity(self, region, group, description, cause, status="Successful", message=None):
        import uuid
        from moto.core.utils import utcnow
        acts = self.activities.setdefault((region, group.name), [])
        now = utcnow()
        act = {
            "ActivityId": str(uuid.uuid4()),
            "AutoScalingGroupName": group.name,
            "AutoScalingGroupARN": group.arn,
            "Description": description,
            "Cause": cause,
            "StartTime": now,
            "EndTime": now,
            "StatusCode": status,
            "Progress": 100,
            "Details": "{}",
        }
        if message:
            act["StatusMessage"] = message
        acts.append(act)
        if len(acts) > 1000:
            del acts[:len(acts) - 1000]
        return act


# The engine the patched moto code reports to (one simulator per process).
ACTIVE = None


def active():
    return ACTIVE
