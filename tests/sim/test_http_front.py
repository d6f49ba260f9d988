"""The simulator's HTTP front (httpserver.py) answers every request exactly
once, whole, and never resets a connection it did not mean to reset, while
many clients send at once and the process is short of CPU.

Why: the Terraform tests flaked with a write that AWS's SDK sent twice
(AddRoleToInstanceProfile -> LimitExceeded, DeleteLaunchTemplate -> NotFound).
The clients here send like the AWS SDK for Go (the provider's): the request
line and headers first, the body in a second write a moment later (Go's
net/http flushes the headers first for a streamed body); each request is a
write whose effect can be counted, so a request executed twice, an answer cut
short or a connection reset shows."""
import contextlib
import io
import random
import socket
import threading
import time
import unittest

import testlib

from sim import Simulator

REQUESTS = 160
CLIENTS = 16


def spin(stop):
    """Holds the interpreter's lock in turns with the server's threads, as a
    loaded CI machine delays them: answers then go out in pieces."""
    while not stop.is_set():
        sum(range(2000))


def create_role_request(port, name, region, extra_headers=""):
    """(head, body) of one IAM CreateRole as the AWS SDK for Go sends it."""
    form = (f"Action=CreateRole&Version=2010-05-08&RoleName={name}"
            "&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D")
    body = form.encode()
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential=AKIASIMULATORDUMMY01/20260101/{region}/iam/aws4_request, "
            "SignedHeaders=host, Signature=0\r\n"
            f"Amz-Sdk-Invocation-Id: {name}\r\nAmz-Sdk-Request: attempt=1; max=25\r\n{extra_headers}"
            f"Content-Length: {len(body)}\r\nAccept-Encoding: gzip\r\n\r\n").encode()
    return head, body


class Answers:
    """Reads the answers of one connection one by one, each as its
    Content-Length delimits it (RFC 9112 section 6.3), as a client that keeps
    the connection does; bytes past an answer belong to the next one."""

    def __init__(self, sock):
        self.sock, self.buffer = sock, b""

    def _recv(self):
        chunk = self.sock.recv(1 << 20)  # ConnectionResetError: the server reset it
        self.buffer += chunk
        return chunk

    def closed(self):
        """True when the server closed the connection (after any answer read)."""
        return not self.buffer and not self._recv()

    def next(self):
        """(status, headers, body, bytes of the answer after those its first
        read got: 0 when it arrived whole)."""
        first = [None]  # the bytes at hand after this answer's first read

        def more(what):
            if not self._recv():
                raise AssertionError(f"the connection ended before {what}: {self.buffer[:300]!r}")
            if first[0] is None:
                first[0] = len(self.buffer)

        while b"\r\n\r\n" not in self.buffer:
            more("a whole header block")
        header_block, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = header_block.decode("iso-8859-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.setdefault(k.strip().lower(), v.strip())
        if "content-length" not in headers:
            raise AssertionError(f"an answer without a Content-Length: {header_block!r}")
        whole = len(header_block) + 4 + int(headers["content-length"])
        while len(self.buffer) < whole:
            more(f"the {whole - len(header_block) - 4} body bytes")
        body, self.buffer = self.buffer[len(header_block) + 4:whole], self.buffer[whole:]
        return status, headers, body, max(0, whole - (first[0] if first[0] is not None else whole))


def send_create_role(port, name, region, pause):
    """One IAM CreateRole over a fresh connection; returns (status, headers,
    body, bytes after those the first read got)."""
    head, body = create_role_request(port, name, region)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(head)
        time.sleep(pause)
        s.sendall(body)
        return Answers(s).next()


class ManyClientsUnderLoad(unittest.TestCase):
    def test_every_request_is_answered_once_and_whole(self):
        errors, answers = [], {}
        names = [f"front-{i:03d}" for i in range(REQUESTS)]
        todo = list(names)
        lock = threading.Lock()
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), Simulator(time_scale=0.01) as sim:
            port = int(sim.endpoint.rsplit(":", 1)[1])
            stop = threading.Event()
            spinners = [threading.Thread(target=spin, args=(stop,), daemon=True) for _ in range(2)]

            def client(seed):
                rng = random.Random(seed)
                while True:
                    with lock:
                        if not todo:
                            return
                        name = todo.pop()
                    try:
                        answers[name] = send_create_role(port, name, sim.region, rng.uniform(0, 0.004))
                    except Exception as e:  # noqa: BLE001 - every failure is reported below
                        errors.append(f"{name}: {type(e).__name__}: {e}")

            t0 = time.monotonic()
            for t in spinners:
                t.start()
            clients = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
            for t in clients:
                t.start()
            for t in clients:
                t.join(timeout=300)
            stop.set()
            elapsed = time.monotonic() - t0
            calls = dict(sim.engine.ledger.api_calls)
            roles = set()
            for page in sim.client("iam").get_paginator("list_roles").paginate():
                roles.update(r["RoleName"] for r in page["Roles"])
        print(f"{REQUESTS} requests from {CLIENTS} clients in {elapsed:.1f}s")
        self.assertEqual(errors, [], f"{len(errors)} request(s) failed")
        self.assertEqual(sorted(answers), sorted(names))
        split = sorted(name for name, answer in answers.items() if answer[3])
        for name, (status, headers, payload, _) in sorted(answers.items()):
            self.assertEqual(status, 200, f"{name}: {payload[:300]!r}")
            # The whole answer, as its Content-Length says, and no more.
            self.assertEqual(len(payload), int(headers["content-length"]), name)
            self.assertIn(f"<RoleName>{name}</RoleName>".encode(), payload, name)
        # Each request reached moto once: no request lost, none executed twice.
        self.assertEqual(calls.get("iam:CreateRole"), REQUESTS, calls)
        self.assertEqual(roles, set(names))
        self.assertNotIn("simulator: the connection answering", stderr.getvalue())
        # Each answer leaves in one send, so it arrives whole: the status line
        # and headers without the body let the AWS SDK for Go give up on the
        # answer while its body is still on the way, and send the write again
        # (the Terraform tests' LimitExceeded / NotFound flake).
        self.assertEqual(len(split), 0, f"{len(split)} of {REQUESTS} answers arrived in pieces: {split[:5]}")


class KeptConnections(unittest.TestCase):
    """HTTP/1.1 persistent connections (RFC 9112 section 9.3): a client - libcurl
    in the helper, the AWS SDKs - sends its next request on the connection of
    the last answer. The first attempt at keeping them hung the helper on a
    request at its start: werkzeug read (and dropped) whatever came after an
    answer, the next request included. Every socket here has a timeout, so a
    hang fails the test."""

    def setUp(self):
        self.stderr = io.StringIO()
        redirect = contextlib.redirect_stderr(self.stderr)
        redirect.__enter__()
        self.addCleanup(redirect.__exit__, None, None, None)
        self.sim = Simulator(time_scale=0.01)
        self.sim.start()
        self.addCleanup(self.sim.stop)
        self.port = int(self.sim.endpoint.rsplit(":", 1)[1])

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.addCleanup(s.close)
        return s, Answers(s)

    def assert_created(self, answer, name):
        status, headers, body, _ = answer
        self.assertEqual(status, 200, f"{name}: {body[:300]!r}")
        self.assertIn(f"<RoleName>{name}</RoleName>".encode(), body, name)
        self.assertNotEqual(headers.get("connection", "").lower(), "close", name)

    def test_requests_one_after_another_and_pipelined_on_one_connection(self):
        s, answers = self.connect()
        names = [f"kept-{i:02d}" for i in range(24)]
        i = 0
        while i < len(names):
            # Alone, sent the moment the last answer is in (the hang), then
            # two and three at once (pipelined: RFC 9112 section 9.3.2).
            batch = names[i:i + 1 + i % 3]
            s.sendall(b"".join(b"".join(create_role_request(self.port, n, self.sim.region)) for n in batch))
            for name in batch:
                self.assert_created(answers.next(), name)
            i += len(batch)
        self.assertEqual(dict(self.sim.engine.ledger.api_calls).get("iam:CreateRole"), len(names))
        # Control requests and AWS requests share the connection too.
        s.sendall(f"GET /_sim/health HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode())
        status, _, body, _ = answers.next()
        self.assertEqual(status, 200, body)
        self.assertNotIn("simulator: the connection answering", self.stderr.getvalue())

    def test_a_chunked_body_ends_where_its_last_chunk_says(self):
        s, answers = self.connect()
        head, body = create_role_request(self.port, "chunked-1", self.sim.region)
        head = head.replace(f"Content-Length: {len(body)}\r\n".encode(), b"Transfer-Encoding: chunked\r\n")
        chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
        s.sendall(head + chunked + b"".join(create_role_request(self.port, "chunked-2", self.sim.region)))
        self.assert_created(answers.next(), "chunked-1")
        self.assert_created(answers.next(), "chunked-2")

    def test_a_client_that_says_close_is_answered_and_closed(self):
        s, answers = self.connect()
        s.sendall(b"".join(create_role_request(self.port, "closing", self.sim.region, "Connection: close\r\n")))
        status, headers, body, _ = answers.next()
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("connection", "").lower(), "close")
        self.assertTrue(answers.closed())

    def test_an_http_1_0_client_is_answered_and_closed(self):
        s, answers = self.connect()
        head, body = create_role_request(self.port, "old-client", self.sim.region)
        s.sendall(head.replace(b"POST / HTTP/1.1", b"POST / HTTP/1.0") + body)
        status, headers, body, _ = answers.next()
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("connection", "").lower(), "close")
        self.assertTrue(answers.closed())

    def test_a_header_line_without_a_colon_is_a_400(self):
        s, answers = self.connect()
        head, body = create_role_request(self.port, "bad-header", self.sim.region, "Not a header\r\n")
        s.sendall(head + body)
        status, headers, body, _ = answers.next()
        self.assertEqual(status, 400, body)
        self.assertIn(b"Not a header", body)
        self.assertTrue(answers.closed())

    def test_an_unreadable_length_is_a_400_and_the_end_of_the_connection(self):
        s, answers = self.connect()
        head, body = create_role_request(self.port, "bad-length", self.sim.region)
        head = head.replace(f"Content-Length: {len(body)}".encode(), b"Content-Length: 12x")
        s.sendall(head + body)
        status, headers, body, _ = answers.next()
        self.assertEqual(status, 400, body)
        self.assertIn(b"Content-Length", body)
        self.assertEqual(headers.get("connection", "").lower(), "close")
        self.assertTrue(answers.closed())
        self.assertNotIn("iam:CreateRole", dict(self.sim.engine.ledger.api_calls))

    def test_a_stopped_simulator_closes_the_connections_it_kept(self):
        s, answers = self.connect()
        s.sendall(b"".join(create_role_request(self.port, "before-stop", self.sim.region)))
        self.assert_created(answers.next(), "before-stop")
        self.sim.stop()
        try:
            closed = answers.closed()
        except ConnectionResetError:
            closed = True
        self.assertTrue(closed, "the connection still open after the simulator stopped")


if __name__ == "__main__":
    testlib.main()
