"""`make install` and `make uninstall` with PREFIX and DESTDIR, and the man page
they install: it renders without warnings, and documents exactly the options,
commands and exit codes that `ecs-rollout --help` shows (both come from one
table; this guards the man page generator)."""
# tier: quick  (make check: a few seconds)
import os
import pathlib
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

import testlib

PREFIX = "/opt/ecs-rollout-test"


def need(tool):
    path = shutil.which(tool)
    if not path:
        raise AssertionError(f"{tool} is not installed: run scripts/install-deps test")
    return path


def make(*args):
    return subprocess.run(["make", "--no-print-directory", "-C", str(testlib.ROOT), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)


def plain(text):
    """Rendered man text as plain words: groff's hyphen and minus glyphs as
    ASCII, no overstrike, whitespace collapsed per line."""
    text = re.sub(".\b", "", text)
    return text.replace("\u2010", "-").replace("\u2212", "-").replace("\u2018", "'").replace("\u2019", "'")


def sections(text, indent_heads):
    """{heading: [(head, body)]} of a help or man text whose entries are a
    head line at one indentation and a body indented further."""
    out = {}
    current = None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Za-z ]*:?$", line):
            current = line.rstrip(":").strip().upper()
            out[current] = []
            continue
        if current is None or not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent in indent_heads:
            out[current].append([line.strip(), ""])
        elif out[current]:
            out[current][-1][1] += " " + line.strip()
    return {k: [(h, " ".join(b.split())) for h, b in v] for k, v in out.items()}


def option_entries(entries):
    """[(short, long, argument, description)] from option head lines such as
    "-o, --output text|json" or "--asg-name NAME"."""
    out = []
    for head, body in entries:
        m = re.fullmatch(r"(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)(?: (\S+))?", head)
        if not m:
            raise AssertionError(f"unexpected option line {head!r}")
        out.append((m.group(1), m.group(2), m.group(3), body))
    return out


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        need("make")
        need("install")
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="ecsr-install-"))
        cls.dest = cls.tmp / "dest"
        proc = make("install", f"DESTDIR={cls.dest}", f"PREFIX={PREFIX}")
        if proc.returncode != 0:
            raise AssertionError(f"make install failed:\n{proc.stdout[-4000:]}")
        cls.make_output = proc.stdout
        cls.bin = cls.dest / PREFIX.lstrip("/") / "bin" / "ecs-rollout"
        cls.man = cls.dest / PREFIX.lstrip("/") / "share" / "man" / "man1" / "ecs-rollout.1"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def render(self, width=100):
        need("man")
        env = dict(os.environ, MANWIDTH=str(width), MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8",
                   MAN_KEEP_FORMATTING="")
        proc = subprocess.run(["man", "--warnings=all", "-l", str(self.man)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "", "man reported warnings")
        return plain(proc.stdout)

    def help_text(self):
        proc = subprocess.run([str(self.bin), "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def test_files_and_modes(self):
        self.assertTrue(self.bin.is_file(), self.make_output)
        self.assertTrue(self.man.is_file(), self.make_output)
        self.assertEqual(stat.S_IMODE(self.bin.stat().st_mode), 0o755)
        self.assertEqual(stat.S_IMODE(self.man.stat().st_mode), 0o644)
        self.assertEqual(self.bin.read_bytes(), (testlib.ROOT / "helper" / "ecs-rollout").read_bytes(),
                         "the installed binary is not the one make built")
        installed = sorted(str(p.relative_to(self.dest)) for p in self.dest.rglob("*") if p.is_file())
        self.assertEqual(installed, [f"{PREFIX.lstrip('/')}/bin/ecs-rollout",
                                     f"{PREFIX.lstrip('/')}/share/man/man1/ecs-rollout.1"])

    def test_installed_binary_runs(self):
        proc = subprocess.run([str(self.bin), "--version"], stdout=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0)
        version = (testlib.ROOT / "helper" / "VERSION").read_text().strip()
        self.assertEqual(proc.stdout.strip(), f"ecs-rollout {version}")

    def test_default_prefix_is_usr_local(self):
        proc = make("-n", "install", "DESTDIR=/nonexistent/stage")
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("/nonexistent/stage/usr/local/bin/ecs-rollout", proc.stdout)
        self.assertIn("/nonexistent/stage/usr/local/share/man/man1/ecs-rollout.1", proc.stdout)

    def test_man_page_renders_without_warnings(self):
        text = self.render()
        for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "EXIT STATUS",
                        "ENVIRONMENT", "EXAMPLES"):
            self.assertRegex(text, rf"(?m)^{heading}$")
        self.assertIn("ecs-rollout - replace the EC2 instances of an ECS cluster", text)
        need("groff")
        proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(self.man)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual((proc.returncode, proc.stderr), (0, ""), "groff -ww reported warnings")

    def test_no_name_is_split_across_lines(self):
        """Narrow terminals must not hyphenate option or variable names."""
        for width in (60, 80):
            text = self.render(width)
            broken = [ln for ln in text.splitlines() if re.search(r"[A-Za-z_]-$", ln.rstrip())]
            self.assertEqual(broken, [], f"hyphenated line ends at width {width}")

    def test_options_match_help_both_ways(self):
        help_secs = sections(self.help_text(), indent_heads=(2, 6))
        man_secs = sections(self.render(200), indent_heads=(7,))
        from_help = option_entries(help_secs["OPTIONS"])
        from_man = option_entries(man_secs["OPTIONS"])
        self.assertGreaterEqual(len(from_help), 20)
        help_names = [(s, n, a) for s, n, a, _ in from_help]
        man_names = [(s, n, a) for s, n, a, _ in from_man]
        self.assertEqual(set(help_names) - set(man_names), set(), "in --help but not in the man page")
        self.assertEqual(set(man_names) - set(help_names), set(), "in the man page but not in --help")
        self.assertEqual(help_names, man_names, "same options, different order")
        for (s, n, a, hb), (_, _, _, mb) in zip(from_help, from_man):
            self.assertEqual(hb, mb, f"--{n}: the descriptions differ")

    def test_commands_and_exit_codes_match_help(self):
        help_secs = sections(self.help_text(), indent_heads=(2,))
        man_secs = sections(self.render(200), indent_heads=(7,))
        self.assertEqual([h for h, _ in help_secs["COMMANDS"]],
                         [h.split()[0] for h, _ in man_secs["COMMANDS"]])
        help_codes = [h for h, _ in help_secs["EXIT CODES"]]
        man_codes = [h.split()[0] for h, _ in man_secs["EXIT STATUS"]]
        self.assertEqual(help_codes, man_codes)
        self.assertEqual(help_codes, ["0", "1", "2", "3", "4", "5"])

    def test_uninstall_removes_both(self):
        dest = self.tmp / "dest2"
        proc = make("install", f"DESTDIR={dest}", f"PREFIX={PREFIX}")
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertEqual(len([p for p in dest.rglob("*") if p.is_file()]), 2)
        proc = make("uninstall", f"DESTDIR={dest}", f"PREFIX={PREFIX}")
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertEqual([p for p in dest.rglob("*") if p.is_file()], [])


if __name__ == "__main__":
    testlib.main()
