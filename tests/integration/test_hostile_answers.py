"""A hostile or broken endpoint cannot make the helper use unbounded memory:
an answer longer than the service's limit (Auto Scaling: 16 MiB) is refused
with a clear error before it is all read, whether its length is announced or
not, and an answer within the limit whose tree would be many times its size
("<a/><a/>...") is refused while it is parsed. Measured on the normal build
(not the sanitizer one, whose shadow memory would hide the figures): peak
resident memory through wait4's rusage, and peak heap under valgrind's
massif. `ecs-rollout status` is the client; every request gets the same
answer."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import testlib
from hostile import MIB, HostileServer, fixed_answer, helper_env, huge_answer, run_measured, status_argv

HOSTILE_SIZE = 64 * MIB
ASG_LIMIT = 16 * MIB


def massif_peak_heap(argv, env):
    """Peak heap (useful + malloc's extra) in bytes, from valgrind massif."""
    if not shutil.which("valgrind"):
        raise AssertionError("valgrind is missing: the heap figure is measured with massif")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "massif.out")
        proc = subprocess.run(["valgrind", "--tool=massif", f"--massif-out-file={out}", "--max-snapshots=200",
                               "--detailed-freq=1000", *argv], env=env, capture_output=True, text=True, timeout=600)
        text = open(out).read()
    peak = 0
    for block in text.split("snapshot=")[1:]:
        heap = int(re.search(r"mem_heap_B=(\d+)", block).group(1))
        extra = int(re.search(r"mem_heap_extra_B=(\d+)", block).group(1))
        peak = max(peak, heap + extra)
    return peak, proc


class HostileAnswers(unittest.TestCase):
    def check_refused(self, r, limit=ASG_LIMIT):
        self.assertEqual(r.rc, 3, r)
        self.assertRegex(r.stderr, rf"DescribeAutoScalingGroups: the answer from 127\.0\.0\.1:\d+ is longer than "
                                   rf"{limit} bytes, the most this request accepts; it was not read further", r)

    def test_a_64_mib_answer_with_its_length_announced_is_refused_unread(self):
        with HostileServer(huge_answer(HOSTILE_SIZE, announce=True)) as s:
            r = run_measured(status_argv(s.endpoint), helper_env())
        self.check_refused(r)
        print(f"  64 MiB announced: peak RSS {r.maxrss_bytes / MIB:.1f} MiB", flush=True)
        self.assertLess(r.maxrss_bytes, HOSTILE_SIZE, r)

    def test_a_64_mib_answer_of_unannounced_length_is_cut_at_the_limit(self):
        with HostileServer(huge_answer(HOSTILE_SIZE, announce=False)) as s:
            r = run_measured(status_argv(s.endpoint), helper_env())
            self.assertEqual(len(s.requests), 1, "a refused answer is not asked for again")
        self.check_refused(r)
        print(f"  64 MiB streamed: peak RSS {r.maxrss_bytes / MIB:.1f} MiB", flush=True)
        self.assertLess(r.maxrss_bytes, HOSTILE_SIZE, r)

    def test_peak_heap_on_a_64_mib_answer_is_under_64_mib(self):
        with HostileServer(huge_answer(HOSTILE_SIZE, announce=False)) as s:
            peak, proc = massif_peak_heap(status_argv(s.endpoint), helper_env())
        self.assertEqual(proc.returncode, 3, proc.stderr[-3000:])
        self.assertIn("is longer than 16777216 bytes", proc.stderr)
        print(f"  64 MiB streamed: peak heap {peak / MIB:.1f} MiB (massif)", flush=True)
        self.assertGreater(peak, 0)
        self.assertLess(peak, HOSTILE_SIZE)

    def test_a_tree_bomb_within_the_length_limit_is_refused_while_parsed(self):
        # 15 MiB of empty elements: as a tree, over 350 MiB.
        count = (15 * MIB) // 4
        body = (b"<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>" + b"<a/>" * count +
                b"</DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>")
        with HostileServer(fixed_answer(body)) as s:
            r = run_measured(status_argv(s.endpoint), helper_env())
        self.assertEqual(r.rc, 3, r)
        self.assertIn("would take too much memory once parsed (too many elements or too much text for an AWS "
                      "answer)", r.stderr)
        print(f"  15 MiB tree bomb: peak RSS {r.maxrss_bytes / MIB:.1f} MiB", flush=True)
        # The body (15 MiB) plus the tree's budget (4 x 16 MiB) and the program.
        self.assertLess(r.maxrss_bytes, 128 * MIB, r)


if __name__ == "__main__":
    testlib.main()
