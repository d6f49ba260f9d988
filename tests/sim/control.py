"""The control API under /_sim/ (JSON in and out):

    GET    /_sim/health          {"ok": true, "aws_seconds": ..., "time_scale": ...}
    GET    /_sim/ledger          the ledger (?timeline=0 leaves the timeline out)
    GET    /_sim/state           groups, clusters, services, instance phases
    GET    /_sim/faults          current faults and what was injected
    PUT    /_sim/faults          replace the faults with the body
    POST   /_sim/faults          add the body's API rules, merge its cluster faults
    DELETE /_sim/faults          clear every fault
    POST   /_sim/reset           forget everything (moto state, ledger, faults)
    POST   /_sim/pause           freeze simulated time (requests are still served)
    POST   /_sim/resume          let it run again
    GET    /_sim/critical-path   the scenario's critical path (?batches=N)
"""
import json
import traceback
import urllib.parse

from . import reports
from .faults import FaultConfigError


class Control:
    def __init__(self, sim):
        self.sim = sim

    def handle(self, environ):
        try:
            return self._route(environ)
        except FaultConfigError as e:
            return _json(400, {"error": str(e)})
        except Exception as e:
            traceback.print_exc()
            return _json(500, {"error": f"{type(e).__name__}: {e}"})

    def _route(self, environ):
        eng = self.sim.engine
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "").rstrip("/")
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if path == "/_sim/health" and method == "GET":
            return _json(200, {"ok": True, "aws_seconds": round(eng.now(), 3), "paused": eng.clock.paused,
                               "time_scale": eng.clock.time_scale, "region": eng.region,
                               "endpoint": self.sim.endpoint})
        if path == "/_sim/ledger" and method == "GET":
            timeline = query.get("timeline", ["1"])[0] not in ("0", "false", "no")
            return _json(200, reports.report(eng, timeline=timeline))
        if path == "/_sim/state" and method == "GET":
            return _json(200, reports.state(eng))
        if path == "/_sim/faults":
            if method == "GET":
                return _json(200, eng.faults.describe())
            if method in ("PUT", "POST"):
                body = _body(environ)
                self.sim.set_faults(body, replace=(method == "PUT"))
                return _json(200, eng.faults.describe())
            if method == "DELETE":
                self.sim.clear_faults()
                return _json(200, eng.faults.describe())
        if path == "/_sim/reset" and method == "POST":
            eng.reset()
            return _json(200, {"ok": True})
        if path in ("/_sim/pause", "/_sim/resume") and method == "POST":
            (self.sim.pause if path.endswith("pause") else self.sim.resume)()
            return _json(200, {"paused": eng.clock.paused, "aws_seconds": round(eng.now(), 3)})
        if path == "/_sim/critical-path" and method == "GET":
            batches = int(query.get("batches", ["1"])[0])
            return _json(200, self.sim.critical_path(batches=batches))
        return _json(404, {"error": f"no control endpoint {method} {path}; see tests/sim/README.md"})


def _body(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b"{}"
    try:
        return json.loads(raw or b"{}")
    except ValueError as e:
        raise FaultConfigError(f"request body is not JSON: {e}")


def _json(status, obj):
    body = json.dumps(obj, default=str, indent=1).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}[status]
    return f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body
