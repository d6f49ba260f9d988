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
    # -> NotFound). run_wsgi writes the whole answer at once (_send) into a
    # buffered writer (socketserver.StreamRequestHandler: wbufsize) and
    # flushes it.
    wbufsize = 1 << 20

    # Connections stay open between requests (HTTP/1.1 persistence, RFC 9112
    # section 9.3): werkzeug answers every request with "Connection: close",
    # so each AWS call was a new connection and a new server thread. An idle
    # connection is closed after this many seconds, longer than the clients
    # keep one idle (libcurl's CURLOPT_MAXAGE_CONN 118 s, Go's net/http
    # IdleConnTimeout 90 s), so it is the client that closes, never a request
    # already on its way.
    timeout = 150

    def setup(self):
        super().setup()
        self.server.sim_track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.sim_track(self.connection, False)

    def parse_request(self):
        """The request line and headers (RFC 9112 sections 3 and 5). http.server
        reads the headers with the email package's parser, about 0.3 ms of the
        simulator's one interpreter per request (a twentieth of a
        termination's whole cost); a header line is split here at its first
        colon. HTTP/1.0 and 1.1 only."""
        self.command = None
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = requestline.split()
        if not words:
            return False
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(400, f"Bad request line {requestline[:200]!r}")
            return False
        self.command, self.path, self.request_version = words
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")
        headers = []
        while True:
            line = self.rfile.readline(65537)
            if len(line) > 65536 or len(headers) > 100:
                self.send_error(431, "Request header fields too large")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            text = line.decode("iso-8859-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and headers:  # obs-fold (RFC 9112 section 5.2)
                headers[-1] = (headers[-1][0], headers[-1][1] + " " + text.strip())
                continue
            name, colon, value = text.partition(":")
            if not colon or not name or name != name.strip():
                self.send_error(400, f"Bad header line {text[:200]!r}")
                return False
            headers.append((name, value.strip()))
        self.headers = message = self.MessageClass()
        message._headers = headers  # email.message.Message's own list of (name, value)
        # HTTP/1.1 keeps the connection unless told "close" (RFC 9112 section
        # 9.3); HTTP/1.0 clients are answered and closed.
        tokens = {t.strip().lower() for t in message.get("Connection", "").split(",")}
        self.close_connection = self.request_version != "HTTP/1.1" or "close" in tokens
        return True

    def run_wsgi(self):
        """One request, answered whole in one send. Replaces werkzeug's, which
        (besides "Connection: close") reads whatever follows an answer for 10
        ms and discards it: on a kept connection, the next request - and
        since it blocks reading 10 MB, the connection with it (the hang of
        the first keep-alive attempt)."""
        # "100 Continue" cannot wait in the buffer for the answer: the client
        # holds its body until it arrives (RFC 9110 section 10.1.1).
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
            del self.headers["Expect"]
        self.environ = environ = self.make_environ()
        try:
            body = self._read_body(environ)
        except ValueError as e:
            # The request's end is unknown, so is the next one's start: answer
            # and close (RFC 9112 section 6.3).
            self.close_connection = True
            self._send(400, "Bad Request", [("Content-Type", "text/plain")], f"{e}\n".encode(), environ)
            return
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        # Dechunked here: with the header left, werkzeug's request (moto's)
        # takes the body for one of unknown length and reads none of it.
        environ.pop("wsgi.input_terminated", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        got = {}

        def start_response(status, headers, exc_info=None):
            got["status"], got["headers"] = status, headers
            return lambda data: None

        try:
            result = self.server.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except ResetConnection:
            raise
        except Exception:
            self.close_connection = True
            raise  # passthrough_errors: socketserver prints it
        code, _, reason = got["status"].partition(" ")
        try:
            self._send(int(code), reason, got["headers"], payload, environ)
        except (ConnectionError, TimeoutError) as e:
            self.close_connection = True
            self.connection_dropped(e, environ)

    def _read_body(self, environ):
        """The request's whole body, and not a byte of the next request."""
        if environ.get("wsgi.input_terminated"):  # chunked (RFC 9112 section 7.1)
            try:
                return environ["wsgi.input"].read()
            except OSError as e:
                raise ValueError(f"unreadable chunked body: {e}") from None
        text = environ.get("CONTENT_LENGTH") or "0"
        if not text.strip().isdigit():
            raise ValueError(f"Content-Length {text!r} is not a length")
        length = int(text)
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            raise ValueError(f"the body ended after {len(body)} of its {length} bytes")
        return body

    def _send(self, code, reason, headers, payload, environ):
        no_body = environ.get("REQUEST_METHOD") == "HEAD" or 100 <= code < 200 or code in (204, 304)
        lines = [f"{self.protocol_version} {code} {reason}\r\n",
                 f"Server: {self.version_string()}\r\n", f"Date: {self.date_time_string()}\r\n"]
        for k, v in headers:
            lower = k.lower()
            if lower in ("connection", "transfer-encoding", "date", "server") or (
                    lower == "content-length" and not no_body):
                continue
            lines.append(f"{k}: {v}\r\n")
        if not no_body:
            # Every answer with a body says its length (RFC 9112 section 6.3),
            # the one thing that tells a kept connection where it ends.
            lines.append(f"Content-Length: {len(payload)}\r\n")
        if self.close_connection:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        self.log_request(code, len(payload))
        self.wfile.write("".join(lines).encode("latin-1") + (b"" if no_body else payload))
        self.wfile.flush()

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


class SimServer:
    def __init__(self, engine, control, host="127.0.0.1", port=0, verbose=False):
        self.app = SimApp(engine, control, verbose=verbose)
        if not verbose:
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        try:
            self.server = make_server(host, port, self.app, threaded=True,
                                      request_handler=_Handler, passthrough_errors=True)
        except OSError as e:
            raise OSError(e.errno, f"cannot listen on {host}:{port}: {e.strerror}") from None
        self.server.sim_verbose = verbose
        self.server.sim_faults = engine.faults
        self._connections, self._connections_lock = set(), threading.Lock()
        self.connections_opened = 0  # connections accepted so far (the bench prints it)
        self.server.sim_track = self._track
        self.server.daemon_threads = True
        self.host, self.port = self.server.server_address[:2]
        self._thread = None

    def start(self):
        # shutdown() waits for the loop to look at its flag: every 50 ms rather than
        # socketserver's 0.5 s, which every simulator's stop() waited out.
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sim-http", daemon=True)
        self._thread.start()

    def _track(self, connection, is_open):
        with self._connections_lock:
            if is_open:
                self._connections.add(connection)
                self.connections_opened += 1
            else:
                self._connections.discard(connection)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        # A kept connection would go on being answered by a stopped simulator;
        # its thread sees the end of its stream and leaves.
        with self._connections_lock:
            kept = list(self._connections)
        for connection in kept:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
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
