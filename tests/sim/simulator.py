"""The Python API other tests use:

    sim = Simulator(scenario="tests/sim/scenarios/small.toml", time_scale=0.02).start()
    env = sim.env()                      # AWS_ENDPOINT_URL, AWS_REGION, dummy keys...
    ecs = sim.client("ecs")
    sim.set_faults({"api": [{"action": "ecs:DescribeTasks", "throttle": 0.5}]})
    sim.wait_until(lambda: sim.state()["services"][0]["running"] == 8, timeout=30)
    ledger = sim.stop()                  # also written to ledger_path if given

moto's backends are global to the process, so one Simulator runs at a time in a
process (start() refuses a second one)."""
import gc
import json
import os
import pathlib
import tempfile
import threading
import time

from . import engine as engine_mod
from . import ecs_fidelity, group_audit, iam_auth, moto_patches, reports, scenario as scenario_mod
from . import throttle as throttle_mod
from .control import Control
from .httpserver import SimServer

DUMMY_ACCESS_KEY = "AKIASIMULATORDUMMY01"
DUMMY_SECRET_KEY = "simulator-dummy-secret-key-not-a-secret"

_running_lock = threading.Lock()
# Simulator.wait_until: the longest a predicate waits to be called again while
# nothing changes in the simulation (a predicate may also look at something else).
IDLE_RECHECK = 0.25


class Simulator:
    def __init__(self, scenario=None, port=None, host="127.0.0.1", time_scale=None, ledger_path=None,
                 seed=None, tick=1.0, region=None, delays=None, verbose=False, iam_auth=False,
                 api_fidelity=None, throttle=False):
        self.scenario = scenario_mod.load(scenario)
        sc = self.scenario
        self.region = region or sc.get("region") or "us-east-1"
        self.time_scale = float(time_scale or sc.get("time_scale") or 1.0)
        self.seed = sc.get("seed", 0) if seed is None else seed
        merged = dict(sc.get("delays") or {})
        merged.update(delays or {})
        self.engine = engine_mod.Engine(region=self.region, time_scale=self.time_scale, delays=merged,
                                        seed=self.seed, tick=tick)
        # "aws" or "moto": the argument, else the scenario's, else SIM_API_FIDELITY.
        self.engine.api_fidelity = ecs_fidelity.resolve(api_fidelity, sc.get("api_fidelity"))
        self.host = host
        self.port = port or 0
        self.ledger_path = ledger_path
        self.verbose = verbose
        self.iam_auth = iam_auth
        self.throttle = throttle
        self.server = None
        self.started_in = None
        self._stopped = False
        self._clients = {}  # (service, max_attempts) -> boto3 client (client())

    @property
    def endpoint(self):
        return f"http://{self.host}:{self.port}"

    def start(self):
        if not _running_lock.acquire(blocking=False):
            raise RuntimeError("another Simulator is running in this process (moto's state is global); "
                               "stop() it first")
        t0 = time.monotonic()
        # No collection while the start makes its objects (the scenario's fleet, moto's
        # backends): each full one walked every object of the process, the modules'
        # included, 3-4 times a start; what the start made is frozen at its end.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            moto_patches.install()
            engine_mod.ACTIVE = self.engine
            self.engine.fleet.run_instances = moto_patches.ORIGINAL["run_instances"]
            self.engine.reset()
            self.server = SimServer(self.engine, Control(self), host=self.host, port=self.port,
                                    verbose=self.verbose)
            self.port = self.server.port
            self.server.prewarm()
            self.server.start()
            self.engine.start()
            scenario_mod.apply(self, self.scenario)
            with self.engine.lock:
                self.engine.ledger.reset()
                group_audit.snapshot(self.engine)
                self.engine.ledger.event("scenario_ready", instances=len(self.engine.instances),
                                         tasks=len(self.engine.tasks))
                for svc in self.engine.services.values():
                    if hasattr(svc, "_sim"):
                        self.engine.sched.observe(svc)
            self.set_faults(self.scenario.get("faults") or {}, replace=True)
            if self.iam_auth:
                self._enable_iam_auth()
            if self.throttle:
                throttle_mod.enable(self.engine)
            # What the start made (moto's backends, the scenario's fleet: 400,000+
            # objects at 1,000 instances) lives as long as the simulator: Python's
            # full collections no longer walk it. Each walked it all, 0.3-1 s with
            # the GIL held, stalling requests and the tick alike (engine.gc_stats).
            gc.freeze()
            self._frozen = True
        except BaseException:
            self._teardown()
            raise
        finally:
            if gc_was_enabled:
                gc.enable()
        self.started_in = time.monotonic() - t0
        return self

    def _enable_iam_auth(self):
        """Every request is authenticated and authorized from here on (see
        iam_auth.py); the dummy key is the account's root user."""
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin
        iam_auth.install(lambda: getattr(engine_mod.ACTIVE, "iam_auth", None))
        self._saved_auth = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0
        self.engine.iam_auth = (DUMMY_ACCESS_KEY, self.engine._record_error)

    def _disable_iam_auth(self):
        saved = getattr(self, "_saved_auth", None)
        if saved is None:
            return
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = saved
        self.engine.iam_auth = None
        self._saved_auth = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env(self):
        """Environment for an AWS client (the helper, the aws CLI, Terraform) to use the simulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self, service, max_attempts=None, **kwargs):
        """A boto3 client bound to the simulator (max_attempts=1: no retries).
        Without other arguments, one per service and max_attempts, made once:
        tests ask for one at every poll, and making one costs 6-20 ms of CPU."""
        if kwargs:
            return self._new_client(service, max_attempts, **kwargs)
        key = (service, max_attempts, self.endpoint)
        found = self._clients.get(key)
        if found is None:
            found = self._clients.setdefault(key, self._new_client(service, max_attempts))
        return found

    def _new_client(self, service, max_attempts, **kwargs):
        import boto3
        from botocore.config import Config
        if max_attempts is not None:
            kwargs.setdefault("config", Config(retries={"max_attempts": max_attempts, "mode": "standard"}))
        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id=DUMMY_ACCESS_KEY, aws_secret_access_key=DUMMY_SECRET_KEY, **kwargs)

    def ledger(self, timeline=True):
        return reports.report(self.engine, timeline=timeline)

    def state(self):
        return reports.state(self.engine)

    def set_faults(self, faults, replace=False):
        """Sets faults ({"seed", "api": [...], "cluster": {...}}); replace=False adds to the current ones."""
        self.engine.faults.configure(faults, replace=replace)
        with self.engine.lock:
            self.engine.ledger.event("faults_set", replace=replace, faults=faults)
        reports.apply_cluster_faults_now(self.engine)
        self.engine.poke()

    def clear_faults(self):
        self.engine.faults.clear()
        with self.engine.lock:
            self.engine.ledger.event("faults_cleared")

    def audit_baseline(self):
        """The group audit's "before" is taken again now: for a test that shapes the
        cluster through the API after start() (a capacity provider, a hook...), so that
        its own setup is not counted as a change the rollout made."""
        with self.engine.lock:
            group_audit.snapshot(self.engine)

    def pause(self):
        """Freezes simulated time (API calls are still served); resume() goes on.
        What was already due, and the groups and services waiting to be reconciled, are
        done first: answers that follow are about one state until a call changes it."""
        with self.engine.lock:
            self.engine.clock.pause()
            self.engine.step()
            self.engine.ledger.event("paused")

    def resume(self):
        with self.engine.lock:
            self.engine.clock.resume()
            self.engine.ledger.event("resumed")
        self.engine.poke()

    def now(self):
        """AWS seconds since start."""
        return self.engine.now()

    def sleep(self, aws_seconds):
        time.sleep(self.engine.clock.real(aws_seconds))

    def wait_until(self, predicate, timeout=60.0, interval=None, message=None):
        """Polls predicate() (real seconds) until it returns something true; returns it.

        Without `interval`: predicate() is called again 20 ms after the last call
        once the simulation may have changed since (an event ran, a group or
        service was reconciled, an AWS request came, from anyone: engine.changes),
        else every IDLE_RECHECK seconds - a predicate that asks the simulator
        through its API costs two processes a request each call, and while AWS
        time passes with nothing due most calls found nothing new. With
        `interval`, every `interval` seconds whatever happened: for predicates
        about things outside the simulator that must be seen at once."""
        deadline = time.monotonic() + timeout
        gated = interval is None
        interval = 0.02 if gated else interval
        last = None
        while True:
            last = predicate()
            if last:
                return last
            seen, called = self.engine.changes, time.monotonic()
            if called >= deadline:
                raise TimeoutError(f"{message or 'condition'} not reached within {timeout}s "
                                   f"(AWS time {self.now():.1f}s; last value {last!r})")
            while True:
                time.sleep(interval)
                now = time.monotonic()
                if not gated or self.engine.changes != seen or now - called >= IDLE_RECHECK or now >= deadline:
                    break

    def critical_path(self, batches=1, by_scale_in=False):
        return scenario_mod.critical_path_of(self.scenario, self.engine.delays, self.time_scale, batches,
                                             by_scale_in)

    def stop(self):
        """Stops serving; returns the ledger and writes it to ledger_path."""
        if self._stopped:
            return None
        ledger = None
        if self.server is not None:
            ledger = self.ledger()
            if self.ledger_path:
                write_json(self.ledger_path, ledger)
        self._teardown()
        return ledger

    def _teardown(self):
        if self._stopped:
            return
        self._stopped = True
        if getattr(self, "_frozen", False):
            gc.unfreeze()  # collected as any other from now on
            self._frozen = False
        try:
            if self.server is not None:
                self.server.stop()
            self.engine.stop()
            self._disable_iam_auth()
        finally:
            if engine_mod.ACTIVE is self.engine:
                engine_mod.ACTIVE = None
            try:
                _running_lock.release()
            except RuntimeError:
                pass


def write_json(path, obj):
    """Writes JSON atomically (a reader never sees half a file)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1, default=str)
        f.write("\n")
    os.replace(tmp, path)
