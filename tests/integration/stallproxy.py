"""A plain HTTP proxy on 127.0.0.1 in front of the simulator that, once
armed, stalls one answer in the middle: it sends the status line, the
headers (announcing the whole body) and half of the body, then nothing more
until released. For the tests of stop requests during an HTTP call."""
import http.client
import http.server
import socketserver
import threading


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _forward(self):
        proxy = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        up = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            up.request(self.command, self.path, body=body, headers=headers)
            resp = up.getresponse()
            data = resp.read()
        finally:
            up.close()
        stall = proxy._take_arm(self.headers.get("X-Amz-Target", "") or body.decode("latin-1"))
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not stall:
            self.wfile.write(data)
            return
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        with proxy._cond:
            proxy.stalled += 1
            proxy._cond.notify_all()
        proxy._release.wait()
        self.close_connection = True

    do_GET = do_POST = _forward


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that went away mid-answer


class StallProxy:
    """with StallProxy(sim.endpoint) as p: p.endpoint, p.arm(), p.wait_stalled(), p.release()"""

    def __init__(self, upstream):
        hostport = upstream.split("://", 1)[1].rstrip("/")
        self.upstream_host, port = hostport.rsplit(":", 1)
        self.upstream_port = int(port)
        self._cond = threading.Condition()
        self._armed = None
        self._release = threading.Event()
        self.stalled = 0

    def __enter__(self):
        self._srv = _Server(("127.0.0.1", 0), _Handler)
        self._srv.owner = self
        self.port = self._srv.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.release()
        self._srv.shutdown()
        self._srv.server_close()

    def arm(self, match=""):
        """Stall the next answer to a request whose target or body holds `match`."""
        with self._cond:
            self._armed = match

    def _take_arm(self, what):
        with self._cond:
            if self._armed is not None and self._armed in what:
                self._armed = None
                return True
            return False

    def wait_stalled(self, timeout=120):
        with self._cond:
            if not self._cond.wait_for(lambda: self.stalled > 0, timeout=timeout):
                raise AssertionError(f"no answer was stalled within {timeout}s")

    def still_stalling(self):
        return self.stalled > 0 and not self._release.is_set()

    def release(self):
        self._release.set()
