#!/usr/bin/env python3
# tier: quick
"""Every tracked C file is formatted as the project's .clang-format says:
`clang-format --dry-run -Werror` must have nothing to change. Without
clang-format the test fails (scripts/install-deps test installs it)."""
import pathlib
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import testlib  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


def tracked_c_files():
    out = subprocess.run(["git", "ls-files", "-z", "--", "*.c", "*.h"], cwd=ROOT,
                         capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p]


class Format(unittest.TestCase):
    def test_clang_format_is_installed(self):
        self.assertIsNotNone(shutil.which("clang-format"),
                             "clang-format is missing: scripts/install-deps test installs it")

    def test_every_c_file_is_formatted(self):
        exe = shutil.which("clang-format")
        self.assertIsNotNone(exe, "clang-format is missing")
        files = tracked_c_files()
        self.assertGreater(len(files), 50, "git ls-files found too few C files")
        bad = []
        for i in range(0, len(files), 64):
            chunk = files[i:i + 64]
            r = subprocess.run([exe, "--dry-run", "-Werror", "--style=file", *chunk], cwd=ROOT,
                               capture_output=True, text=True)
            if r.returncode != 0:
                bad += sorted({line.split(":", 1)[0] for line in r.stderr.splitlines()
                               if ": error:" in line})
        self.assertEqual(bad, [], "not clang-format clean (run clang-format -i on them): "
                         + " ".join(bad))

    def test_a_misformatted_file_is_noticed(self):
        # The check itself must be able to fail: feed clang-format a badly laid out file.
        exe = shutil.which("clang-format")
        self.assertIsNotNone(exe, "clang-format is missing")
        src = "int  main( void ){return 0;}\n"
        r = subprocess.run([exe, "--dry-run", "-Werror", "--style=file",
                            "--assume-filename=" + str(ROOT / "helper/src/x.c")],
                           input=src, cwd=ROOT, capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    testlib.main()
