#!/usr/bin/env python3
"""The Python test programs of tests/run, started from one process that has
already imported what most of them import (moto, boto3, botocore and the
simulator package: ~1.5-2 s of CPU each time a program starts from nothing,
~40 programs in a `make test`).

tests/run starts this program once, with the environment and working
directory every test program gets, and asks it over a Unix socket to run a
script: it forks, and the child runs the script as `python3 SCRIPT` would
(sys.argv, sys.path[0], __main__, normal interpreter exit: atexit handlers,
non-daemon threads joined), its stdout and stderr on the pipe tests/run sent.
The fork happens in a process with one thread, before any simulator, server
or client exists; what is shared is modules, never state.

Protocol, per program: tests/run sends, on the control socket, the script's
path with two descriptors (SCM_RIGHTS): the write end of its output pipe and
one end of a socket pair of its own; on that socket this server answers
"pid N" once the child runs, then "exit STATUS UTIME STIME" once it ended
(its wait4 status and CPU seconds, its waited-for children included)."""
import array
import os
import selectors
import signal
import socket
import sys

# What the Python test programs import, heaviest first (python -X importtime).
WARM = ("sim", "sim.testing", "boto3", "botocore.session", "unittest", "unittest.mock", "json", "subprocess",
        "tempfile", "testlib")


def warm():
    import importlib
    for name in WARM:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # the program that needs it fails as it would have on its own
    try:
        # AWS's service models, parsed once here rather than at each program's first
        # simulator (immutable data only: tests/sim/warmup.py).
        from sim import warmup
        warmup.warm_caches()
    except Exception:  # only a saving: each program then parses them itself
        pass
    # What was imported stays for every child: kept out of the children's
    # full garbage collections, which walked all of it (0.2 s each, 3-4 per simulator start).
    import gc
    gc.freeze()


def receive(control):
    """(script, [fds]) of one request, or None once tests/run hung up."""
    fds = array.array("i")
    msg, anc, _, _ = control.recvmsg(4096, socket.CMSG_SPACE(2 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
    if not msg:
        return None
    return msg.decode(), list(fds)


def serve(control):
    """Forks a child per request; returns (script, output fd) in the child,
    None in this server once tests/run closed the control socket."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel = selectors.DefaultSelector()
    sel.register(control, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    jobs = {}  # pid -> the socket its exit goes to
    open_control = True
    while open_control or jobs:
        for key, _ in sel.select():
            if key.fileobj is control:
                req = receive(control)
                if req is None:
                    sel.unregister(control)
                    open_control = False
                    continue
                script, fds = req
                if len(fds) != 2:
                    for fd in fds:
                        os.close(fd)
                    continue
                out_fd, reply_fd = fds
                pid = os.fork()
                if pid == 0:
                    # The child: nothing of the server's is left open in it.
                    sel.close()
                    control.close()
                    for fd in (wake_r, wake_w, reply_fd):
                        os.close(fd)
                    for child_reply in jobs.values():
                        child_reply.close()
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    return script, out_fd
                os.close(out_fd)
                reply = socket.socket(fileno=reply_fd)
                reply.sendall(f"pid {pid}\n".encode())
                jobs[pid] = reply
            else:
                os.read(wake_r, 4096)
        while jobs:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                break
            reply = jobs.pop(pid, None)
            if reply is not None:
                try:
                    reply.sendall(f"exit {status} {usage.ru_utime} {usage.ru_stime}\n".encode())
                except OSError:
                    pass  # tests/run gave up on it
                reply.close()
    return None


def run_script(script, out_fd):
    """As `python3 SCRIPT` does, from here on."""
    import runpy
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    sys.argv = [script]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")


def main():
    control = socket.socket(fileno=int(sys.argv[1]))
    try:
        # SIGTERM once tests/run ends (Linux prctl PR_SET_PDEATHSIG): a run
        # killed leaves no server behind. Its children do not inherit it.
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    warm()
    job = serve(control)
    if job is not None:
        run_script(*job)


if __name__ == "__main__":
    main()
