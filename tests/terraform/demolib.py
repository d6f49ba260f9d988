"""What the scripts/demo tests share (test_demo.py: the whole demo;
test_demo_interrupted.py: Ctrl-C in the middle of it). Two programs, so that
tests/run runs them side by side: each is an init and two applies."""
import os
import sys

import testlib
import tflib

DEMO = tflib.ROOT / "scripts" / "demo"
TIMEOUT = 900


def demo_argv(out, *extra):
    return [sys.executable, str(DEMO), "--out", str(out), "--helper", testlib.helper_bin(), *extra]


def demo_environ():
    e = dict(os.environ)
    e["NO_COLOR"] = "1"
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        e.pop(k, None)
    return e


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
