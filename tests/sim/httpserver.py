"""The HTTP front: moto's WSGI application behind a middleware that counts
calls, injects faults, takes the engine lock around every AWS request, and
serves the control API under /_sim/.

Connection resets: the middleware raises ResetConnection; the request handler
catches it and closes the socket with SO_LINGER 0, so the client sees a TCP
reset and no response at all."""
import io
import logging
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse

from werkzeug.serving import WSGIRequestHandler, make_server

from .faults import ECS_TARGET_PREFIX, QUERY_VERSIONS, error_response

CONTROL_PREFIX = "/_sim/"


class ResetConnection(Exception):
    pass


class _Handler(WSGIRequestHandler):
    # Each answer (status line, headers and body) leaves in one send: werkzeug
    # writes the head and the body separately, and a server thread short of
    # CPU sent the body up to 60 ms after the head. The AWS SDK for Go (the
    # Terraform provider's) then sometimes gave up on an answer whose head it
    # had read and whose body was on the way (it closed the connection, the body
    # met a reset) and sent the request again: a write moto had made failed as
    # a duplicate (AddRoleToInstanceProfile -> LimitExceeded, DeleteLaunchTemplate
    # -> NotFound). A buffered writer, flushed by werkzeug after the body,
    # sends both at once (socketserver.StreamRequestHandler: wbufsize).
    wbufsize = 1 << 20

    def run_wsgi(self):
        # "100 Continue" cannot wait in the buffer for the answer: the client
        # holds its body until it arrives (RFC 9110 section 10.1.1).
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
            del self.headers["Expect"]
        super().run_wsgi()

    def handle(self):
        try:
            super().handle()
        except ResetConnection:
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                fd = self.connection.detach()
                socket.socket(fileno=fd).close()
            except OSError:
                pass
            self.close_connection = True

    def date_time_string(self, timestamp=None):
        # The Date header of every answer (RFC 9110 section 6.6.1): AWS's
        # clock, which the clock_offset_s fault sets apart from this machine's.
        if timestamp is None:
            timestamp = time.time() + self.server.sim_faults.clock_offset()
        return super().date_time_string(timestamp)

    def connection_dropped(self, error, environ=None):
        # Werkzeug drops these silently. A client that loses the answer to a
        # write AWS (here: moto) has made sends it again - the AWS SDKs retry
        # any request whose connection failed - and the repeat fails as a
        # duplicate (InvalidPermission.Duplicate, LimitExceeded, ...), far
        # from the cause: said here, naming the call.
        call = (environ or {}).get("sim.call") or "a request"
        print(f"simulator: the connection answering {call} failed: {type(error).__name__}: {error}",
              file=sys.stderr, flush=True)

    def log_request(self, code="-", size="-"):
        if self.server.sim_verbose:
            super().log_request(code, size)

    def log_error(self, format, *args):
        if self.server.sim_verbose:
            super().log_error(format, *args)


def access_key_of(environ):
    """The access key a request was signed with (its SigV4 Credential scope), as CloudTrail
    records it in each event's userIdentity.accessKeyId; None when unsigned."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" not in auth:
        return None
    return auth.split("Credential=", 1)[1].split("/", 1)[0] or None


def is_write(action):
    """AWS names its read-only actions Describe*, List* and Get*."""
    return bool(action) and not action.startswith(("Describe", "List", "Get"))


def identify(environ, body):
    """(service, action, protocol) of an AWS request; protocol is json, ec2 or query."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    signed_service = None
    if "Credential=" in auth:
        try:
            scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
            signed_service = scope[3]
        except IndexError:
            pass
    if target:
        prefix, _, action = target.partition(".")
        service = "ecs" if prefix == ECS_TARGET_PREFIX else (signed_service or prefix)
        return service, action, "json"
    params = {}
    ctype = environ.get("CONTENT_TYPE", "")
    if body and ctype.startswith("application/x-www-form-urlencoded"):
        params = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    if environ.get("QUERY_STRING"):
        for k, v in urllib.parse.parse_qs(environ["QUERY_STRING"]).items():
            params.setdefault(k, v)
    action = (params.get("Action") or [None])[0]
    version = (params.get("Version") or [None])[0]
    service = QUERY_VERSIONS.get(version) or signed_service
    return service, action, "ec2" if service == "ec2" else "query"


class SimApp:
    def __init__(self, engine, control, verbose=False):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        self.engine = engine
        self.control = control
        self.verbose = verbose
        from .fastdispatch import FastDispatch
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.fast = FastDispatch(self.moto)  # the same answers without Flask (fastdispatch.py)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX.rstrip("/"):
            status, headers, body = self.control.handle(environ)
            start_response(status, headers)
            return [body]
        if path.startswith("/moto-api/reset"):
            self.engine.reset()
            # Said in the simulator's log, since the reset also clears the
            # ledger: a client that takes this simulator for its own
            # moto_server (a port handed from one process to another) wipes
            # every resource under a running terraform apply.
            print(f"simulator: POST {path} from {environ.get('REMOTE_ADDR')}:{environ.get('REMOTE_PORT')}: "
                  "every resource forgotten", file=sys.stderr, flush=True)
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0:
            body = environ["wsgi.input"].read(length)
        elif environ.get("wsgi.input_terminated"):  # chunked request body
            body = environ["wsgi.input"].read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        service, action, protocol = identify(environ, body)
        self.engine.changes += 1  # for Simulator.wait_until: whatever it answers, something asked
        decision = self.engine.faults.decide(service, action)
        if decision.latency > 0:
            time.sleep(decision.latency)
        name = f"{service}:{action}"
        environ["sim.call"] = name  # for _Handler.connection_dropped
        throttle = getattr(self.engine, "throttle", None)  # throttle.py: AWS's token buckets
        if decision.kind is None and throttle is not None and not throttle.take(service, action):
            with self.engine.lock:
                self.engine.ledger.count_call(name)
                self.engine.ledger.event("throttled", call=name)
            status, headers, payload = error_response(service, protocol, "throttle")
            start_response(f"{status} {'Bad Request' if status == 400 else 'Service Unavailable'}", headers)
            return [payload]
        if decision.kind is not None:
            with self.engine.lock:
                self.engine.ledger.count_call(name)
                self.engine.ledger.event("fault_injected", call=name, fault=decision.kind)
            if decision.kind == "reset":
                raise ResetConnection()
            status, headers, payload = error_response(service, protocol, decision.kind, decision.status)
            start_response(f"{status} {'Bad Request' if status == 400 else 'Error'}", headers)
            return [payload]
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        arrived = self.engine.clock.now()
        with self.engine.lock:
            started = time.perf_counter()
            began = self.engine.clock.now()
            self.engine.ledger.count_call(name)
            if is_write(action):
                self.engine.ledger.write_call(name, access_key_of(environ))
            try:
                result = self.fast(environ, capture, service)
                try:
                    payload = b"".join(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
            except Exception as e:  # a moto or simulator bug: answer like AWS's 500
                self.engine._record_error(f"{name}: {type(e).__name__}: {e}")
                if self.verbose:
                    traceback.print_exc()
                status, headers, payload = error_response(service, protocol, "error", 500)
                start_response(f"{status} Internal Server Error", headers)
                return [payload]
            self.engine.request_time(name, time.perf_counter() - started)
            if self.engine.trace is not None:
                self.engine.trace.append(("request", arrived, began, self.engine.clock.now(), name))
        if self.engine.dirty_groups or self.engine.dirty_services:
            self.engine.poke()
        start_response(captured["status"], captured["headers"])
        return [payload]


def with_content_length(app):
    """app with every answer's Content-Length set (RFC 9112 section 6.3):
    werkzeug sends an answer without one in chunks, its last chunk after the
    request handler's 10 ms wait for more of the request, apart from the rest.
    For SimApp, whose answers are whole bytes."""
    def answer(environ, start_response):
        got = {}

        def capture(status, headers, exc_info=None):
            got["status"], got["headers"] = status, headers
            return lambda data: None

        result = app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = got["status"], got["headers"]
        code = int(status.split(None, 1)[0])
        if not (100 <= code < 200 or code in (204, 304) or environ.get("REQUEST_METHOD") == "HEAD"):
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]
    return answer


class SimServer:
    def __init__(self, engine, control, host="127.0.0.1", port=0, verbose=False):
        self.app = SimApp(engine, control, verbose=verbose)
        if not verbose:
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        try:
            self.server = make_server(host, port, with_content_length(self.app), threaded=True,
                                      request_handler=_Handler, passthrough_errors=True)
        except OSError as e:
            raise OSError(e.errno, f"cannot listen on {host}:{port}: {e.strerror}") from None
        self.server.sim_verbose = verbose
        self.server.sim_faults = engine.faults
        self.server.daemon_threads = True
        self.host, self.port = self.server.server_address[:2]
        self._thread = None

    def start(self):
        # shutdown() waits for the loop to look at its flag: every 50 ms rather than
        # socketserver's 0.5 s, which every simulator's stop() waited out.
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sim-http", daemon=True)
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join(timeout=10)

    def prewarm(self, services=("ecs", "autoscaling", "ec2", "sts", "iam", "ssm", "elbv2")):
        """Builds moto's per-service Flask apps now rather than on the first request."""
        moto = self.app.moto
        for svc in services:
            try:
                if svc not in moto.app_instances:
                    moto.app_instances[svc] = moto.create_app(svc)
            except Exception:
                pass
