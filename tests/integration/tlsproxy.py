"""A TLS-terminating proxy on 127.0.0.1 in front of an HTTP endpoint (the
simulator), and self-signed certificates made with the openssl command, for
the tests that check the helper's certificate verification."""
import http.client
import http.server
import pathlib
import shutil
import socketserver
import ssl
import subprocess
import threading


def make_cert(directory, name, san="IP:127.0.0.1"):
    """A self-signed certificate and its key (PEM) for subjectAltName `san`;
    returns (cert path, key path)."""
    if not shutil.which("openssl"):
        raise AssertionError("the openssl command is missing: the TLS tests make their certificates with it")
    d = pathlib.Path(directory)
    cert, key = d / f"{name}.pem", d / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True)
    return cert, key


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        up = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            up.request(self.command, self.path, body=body, headers=headers)
            resp = up.getresponse()
            data = resp.read()
            self.server.forwarded += 1
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            up.close()

    do_GET = do_POST = do_PUT = do_DELETE = _forward


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that refuses our certificate ends the handshake: count it.
        self.handshake_failures += 1


class TLSProxy:
    """https://127.0.0.1:PORT forwarding to http://UPSTREAM (with the certificate given)."""

    def __init__(self, upstream, cert, key):
        host, port = upstream.split("://", 1)[-1].rstrip("/").split(":")
        self.server = _Server(("127.0.0.1", 0), _Handler, bind_and_activate=True)
        self.server.upstream_host, self.server.upstream_port = host, int(port)
        self.server.forwarded = 0
        self.server.handshake_failures = 0
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        # The handshake happens in the handler thread (not in accept), so a
        # client that hangs up cannot stall the server.
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        self.endpoint = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def forwarded(self):
        return self.server.forwarded

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)
