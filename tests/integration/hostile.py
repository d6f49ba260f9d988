"""A loopback HTTP endpoint that answers every request the same hostile or
broken way (a huge body, a body that never ends, an answer that stalls), and
a way to run the helper against it and learn its peak memory."""
import os
import socket
import subprocess
import sys
import tempfile
import threading

import testlib

MIB = 1024 * 1024


class HostileServer:
    """with HostileServer(answer) as s: s.endpoint ...

    answer(sock, request_bytes, server) writes whatever it wants to the
    socket; the connection is closed after it returns."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = []
        self.release = threading.Event()
        self.stalled = threading.Event()
        self._threads = []

    def __enter__(self):
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self._sock.close()
        for t in self._threads:
            t.join(timeout=30)

    def _serve(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._one, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _one(self, conn):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v.strip())
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                rest += chunk
            self.requests.append(head + b"\r\n\r\n" + rest)
            try:
                self.answer(conn, head, self)
            except OSError:
                pass  # the helper hung up, as it should on a hostile answer


def huge_answer(size, announce=True, body_chunk=b"<a/>" * 16384):
    """A 200 answer of `size` bytes of XML-ish filler, with or without a
    Content-Length (without it, the body ends when the connection closes)."""
    def answer(conn, head, server):
        hdr = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
        hdr += f"Content-Length: {size}\r\n" if announce else "Connection: close\r\n"
        conn.sendall(hdr.encode() + b"\r\n")
        sent = 0
        while sent < size:
            piece = body_chunk[: size - sent]
            conn.sendall(piece)
            sent += len(piece)
    return answer


def fixed_answer(body, content_type="text/xml"):
    def answer(conn, head, server):
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                     f"Connection: close\r\n\r\n".encode() + body)
    return answer


def stalling_answer(conn, head, server):
    """Announces 1000 bytes, sends 500, then nothing until released."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n" + b" " * 500)
    server.stalled.set()
    server.release.wait()


def helper_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="AKIDHOSTILETEST", AWS_SECRET_ACCESS_KEY="hostile/test/secret/key/0123456789",
               AWS_REGION="us-east-1", AWS_CONFIG_FILE="/nonexistent/config",
               AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials", AWS_MAX_ATTEMPTS="1")
    env.update(extra or {})
    return env


class Result:
    def __init__(self, rc, stdout, stderr, maxrss_bytes=None):
        self.rc, self.stdout, self.stderr, self.maxrss_bytes = rc, stdout, stderr, maxrss_bytes

    def __repr__(self):
        rss = f" maxrss={self.maxrss_bytes / MIB:.1f} MiB" if self.maxrss_bytes is not None else ""
        return f"<rc={self.rc}{rss}\nstdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}>"


def run_helper(argv, env, timeout=300, on_start=None):
    """Runs argv (exit status negative: killed by that signal, or by the
    timeout); on_start(proc) runs while it does."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if on_start:
            on_start(proc)
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n[killed after {timeout}s]"
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return Result(proc.returncode, out, err)


# A process's peak RSS (ru_maxrss) includes what it had before exec, and a
# child of this test process starts as a (v)fork of it, tens of MiB or more.
# So a small fresh interpreter starts the helper and reports its figure.
_LAUNCHER = """
import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss * 1024))
sys.exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
"""


def run_measured(argv, env, timeout=300):
    """Runs argv and returns its exit status, output and peak resident
    memory (its rusage from wait4; an over-estimate by the launcher's own
    few MiB at most)."""
    with tempfile.TemporaryDirectory() as d:
        figure = os.path.join(d, "maxrss")
        r = run_helper([sys.executable, "-c", _LAUNCHER, figure, *argv], env, timeout=timeout)
        r.maxrss_bytes = int(open(figure).read()) if os.path.exists(figure) else None
    return r


def status_argv(endpoint, binary=None):
    return [binary or testlib.helper_bin(sanitized=False), "status", "--asg-name", "prod-asg", "--cluster-name",
            "prod", "--endpoint-url", endpoint]
