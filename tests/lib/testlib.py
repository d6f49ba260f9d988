"""Shared pieces for the Python tests: a unittest runner that speaks the
PASS/FAIL/SKIP line protocol of tests/run, and paths to what the tests use."""
import fcntl
import importlib.machinery
import importlib.util
import os
import pathlib
import socket
import sys
import traceback
import unittest

ROOT = pathlib.Path(os.environ.get("REPO_ROOT") or pathlib.Path(__file__).resolve().parents[2])


def newer_helper_source(binary, root=None):
    """The newest C source or header of the helper (helper/src, every one of
    which some object depends on) when it is newer than `binary`, else None. A binary
    older than its sources runs code other than the tree's: a test run on it
    alone tests the old code (issue 12: a stale ASan build left by an earlier
    `make test` failed test_rollout_shapes_scaling run alone, on code long
    fixed, while `make test`, which rebuilds it, passed)."""
    helper = pathlib.Path(root or ROOT) / "helper"
    built = os.stat(binary).st_mtime
    newest, newest_path = built, None
    for p in (helper / "src").rglob("*.[ch]"):
        try:
            m = p.stat().st_mtime
        except OSError:
            continue
        if m > newest:
            newest, newest_path = m, p
    return newest_path


def helper_bin(sanitized=True):
    """The ecs-rollout binary under test. Integration tests use the ASan+UBSan
    build when it exists, so memory errors on real I/O paths fail the run.
    A binary older than the helper's sources is refused, loudly."""
    if sanitized:
        wait_for_asan_build()
        p = os.environ.get("ECS_ROLLOUT_ASAN_BIN") or str(ROOT / "helper/build-asan/ecs-rollout")
        if os.path.exists(p):
            _refuse_stale(p, "rebuild it (ECS_ROLLOUT_ASAN_BIN)" if os.environ.get("ECS_ROLLOUT_ASAN_BIN") else
                          "run `make build-asan` first (or remove helper/build-asan to test the normal build)")
            return p
    p = os.environ.get("ECS_ROLLOUT_BIN") or str(ROOT / "helper/ecs-rollout")
    if not os.path.exists(p):
        raise RuntimeError(f"{p} is missing: run `make` first")
    _refuse_stale(p, "run `make` first")
    return p


def wait_for_asan_build():
    """Under `make test`, tests/run builds the ASan ecs-rollout while the
    programs run (tests/run --build) and names in ECS_ROLLOUT_ASAN_BUILD a
    file it keeps locked until that build ends, then holding "ok" or why
    not: wait for it, so that a program uses the sanitizer build of this
    tree, never none or a stale one. Without the variable, nothing to wait for."""
    path = os.environ.get("ECS_ROLLOUT_ASAN_BUILD")
    if not path:
        return
    try:
        f = open(path)
    except OSError as e:
        raise RuntimeError(f"ECS_ROLLOUT_ASAN_BUILD={path}: {e.strerror}: tests/run --build names a file it made") from e
    with f:
        fcntl.flock(f, fcntl.LOCK_SH)
        said = f.read().strip()
    if said != "ok":
        raise RuntimeError("the ASan+UBSan build of ecs-rollout that tests/run made for this run "
                           + (f"{said} (its FAIL line has make's output)" if said else "ended without a word"))


def _refuse_stale(binary, how):
    src = newer_helper_source(binary)
    if src:
        raise RuntimeError(f"{binary} is older than {src}: it was built from other sources than "
                           f"this tree's: {how}")


def load_script(path, name):
    """Imports a Python script without a .py suffix (tests/run, scripts/tfdocs) as module `name`."""
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _LineResult(unittest.TextTestResult):
    def _name(self, test):
        return f"{pathlib.Path(sys.argv[0]).stem}/{test.id().split('.', 1)[-1]}"

    def addSuccess(self, test):
        super().addSuccess(test)
        print(f"PASS {self._name(test)}", flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)

    def _fail(self, test, err):
        msg = "".join(traceback.format_exception_only(err[0], err[1])).strip().replace("\n", " | ")
        print(f"FAIL {self._name(test)}: {msg[:500]}", flush=True)
        traceback.print_exception(*err, file=sys.stdout)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        print(f"SKIP {self._name(test)}: {reason}", flush=True)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        print(f"FAIL {self._name(test)}: unexpected success", flush=True)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        print(f"PASS {self._name(test)}", flush=True)


def main():
    """unittest.main() with the line protocol. Accepts test names as argv."""
    runner = unittest.TextTestRunner(resultclass=_LineResult, stream=sys.stderr, verbosity=0)
    prog = unittest.main(module="__main__", testRunner=runner, exit=False)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
