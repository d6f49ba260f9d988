"""tests/lib/testlib.py's choice of the helper binary: a binary older than
the helper's sources is refused with what to build, since a test run on it
tests other code than the tree's (issue 12: a stale ASan build made a test
run alone fail on code long fixed)."""
# tier: quick  (make check: under a second)
import fcntl
import os
import pathlib
import tempfile
import threading
import unittest
from unittest import mock

import testlib


class HelperBin(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.root = pathlib.Path(tmp.name)
        (self.root / "helper/src/rollout").mkdir(parents=True)
        (self.root / "helper/build-asan").mkdir()
        self.src = self.root / "helper/src/rollout/held.c"
        self.header = self.root / "helper/src/rollout/held.h"
        self.normal = self.root / "helper/ecs-rollout"
        self.asan = self.root / "helper/build-asan/ecs-rollout"
        for p, t in ((self.src, 1000), (self.header, 1000), (self.normal, 2000), (self.asan, 2000)):
            p.write_text("")
            os.utime(p, (t, t))
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_ROLLOUT_")}
        patches = (mock.patch.object(testlib, "ROOT", self.root), mock.patch.dict(os.environ, env, clear=True))
        for p in patches:
            p.start()
            self.addCleanup(p.stop)

    def touch(self, p, t):
        os.utime(p, (t, t))

    def test_current_builds_are_used_the_sanitized_first(self):
        self.assertIsNone(testlib.newer_helper_source(str(self.asan)))
        self.assertEqual(testlib.helper_bin(), str(self.asan))
        self.assertEqual(testlib.helper_bin(sanitized=False), str(self.normal))
        self.asan.unlink()
        self.assertEqual(testlib.helper_bin(), str(self.normal))

    def test_a_sanitized_build_older_than_a_source_is_refused(self):
        self.touch(self.src, 1500)
        self.touch(self.normal, 1600)
        self.assertEqual(testlib.newer_helper_source(str(self.asan)), None)
        self.touch(self.asan, 1400)
        self.assertEqual(testlib.newer_helper_source(str(self.asan)), self.src)
        with self.assertRaises(RuntimeError) as cm:
            testlib.helper_bin()
        self.assertIn("is older than", str(cm.exception))
        self.assertIn("make build-asan", str(cm.exception))
        # The normal build is current: asked for, it is used.
        self.assertEqual(testlib.helper_bin(sanitized=False), str(self.normal))

    def test_a_header_newer_than_the_normal_build_refuses_it(self):
        self.asan.unlink()
        self.touch(self.header, 2500)
        with self.assertRaises(RuntimeError) as cm:
            testlib.helper_bin()
        self.assertIn(str(self.header), str(cm.exception))
        self.assertIn("run `make` first", str(cm.exception))

    def test_the_environment_names_the_binaries_and_is_checked_too(self):
        other = self.root / "elsewhere"
        other.write_text("")
        self.touch(other, 500)
        with mock.patch.dict(os.environ, {"ECS_ROLLOUT_ASAN_BIN": str(other)}):
            with self.assertRaises(RuntimeError):
                testlib.helper_bin()
            self.touch(other, 3000)
            self.assertEqual(testlib.helper_bin(), str(other))


    def test_under_tests_run_build_the_asan_build_is_waited_for(self):
        # tests/run --build holds the file locked while it builds, then says how it went.
        status = self.root / "asan-build"
        with open(status, "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            self.touch(self.asan, 500)  # stale until the build ends
            got = []
            with mock.patch.dict(os.environ, {"ECS_ROLLOUT_ASAN_BUILD": str(status)}):
                waiter = threading.Thread(target=lambda: got.append(testlib.helper_bin()))
                waiter.start()
                waiter.join(0.3)
                self.assertTrue(waiter.is_alive(), "helper_bin() must wait for the build")
                self.touch(self.asan, 3000)
                held.write("ok\n")
                held.flush()
                fcntl.flock(held, fcntl.LOCK_UN)
                waiter.join(10)
        self.assertEqual(got, [str(self.asan)])
        # The normal build is made before: nothing to wait for.
        with open(status, "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            with mock.patch.dict(os.environ, {"ECS_ROLLOUT_ASAN_BUILD": str(status)}):
                self.assertEqual(testlib.helper_bin(sanitized=False), str(self.normal))


if __name__ == "__main__":
    testlib.main()
