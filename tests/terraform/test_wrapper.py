"""modules/ecs-cluster/scripts/ecs-rollout-wrapper on its own: the argv it
builds from ECS_ROLLOUT_* (verbatim, nothing evaluated by a shell), where it
finds the helper, how it fails, and the one-time cached build from the helper
sources, with its lock. A fake helper (modules/ecs-cluster/tests/fake-ecs-rollout)
records its argv; the build tests use a small fake source tree whose Makefile
can be held at a barrier, and one test builds the real helper from ./helper."""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

ROOT = testlib.ROOT
WRAPPER = ROOT / "modules" / "ecs-cluster" / "scripts" / "ecs-rollout-wrapper"
FAKE_HELPER = ROOT / "modules" / "ecs-cluster" / "tests" / "fake-ecs-rollout"
DEBIAN_PACKAGES = "gcc make pkg-config libcurl4-openssl-dev libmbedtls-dev libcjson-dev libexpat1-dev"
# Generous guard against a hung test, never an assertion about speed.
HANG_GUARD = 600

NASTY = "a $(touch PWNED/cmdsubst) ; touch PWNED/semicolon `touch PWNED/backtick` 'single' \"double\"  two  spaces"


# The commands the wrapper itself runs, and those the build needs.
SHELL_TOOLS = ("bash", "sh", "env", "cat", "cut", "tr", "find", "sort", "mkdir", "rm", "mv", "tail",
               "getconf", "sha256sum", "sleep", "chmod", "touch", "printf", "dirname", "id", "ls",
               "mktemp", "uname", "grep")
BUILD_TOOLS = ("make", "cc", "gcc", "pkg-config")


def tools_dir(directory, names):
    """A directory of links to the named commands, to be the whole PATH."""
    directory.mkdir()
    for name in names:
        found = shutil.which(name)
        if found:
            (directory / name).symlink_to(found)
    return directory


def path_without_ecs_rollout():
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not os.path.exists(os.path.join(d, "ecs-rollout"))]
    return os.pathsep.join(dirs)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECS_ROLLOUT_", "FAKE_ECS_ROLLOUT_"))}
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(k, None)
    env["PATH"] = path_without_ecs_rollout()
    env.update(extra)
    return env


def rollout_env(**extra):
    base = {
        "ECS_ROLLOUT_ASG_NAME": "my-asg",
        "ECS_ROLLOUT_CLUSTER_NAME": "my-cluster",
        "ECS_ROLLOUT_REGION": "eu-west-1",
    }
    base.update(extra)
    return clean_env(**base)


class WrapperCase(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="wrapper-test-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.record = self.tmp / "record.jsonl"
        self.bin = self.tmp / "bin"
        self.bin.mkdir()
        (self.tmp / "PWNED").mkdir()
        # The wrapper's private build directories go here (TMPDIR).
        self.tmpdir = self.tmp / "tmp"
        self.tmpdir.mkdir()

    def fake_on_path(self, name="ecs-rollout"):
        link = self.bin / name
        link.symlink_to(FAKE_HELPER)
        return link

    def run_wrapper(self, env, args=(), cwd=None):
        env = dict(env)
        env["FAKE_ECS_ROLLOUT_RECORD"] = str(self.record)
        return subprocess.run(["bash", str(WRAPPER)] + list(args), env=env, cwd=cwd or self.tmp,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=HANG_GUARD)

    def records(self):
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line.strip()]

    def assert_nothing_pwned(self):
        self.assertEqual(sorted(p.name for p in (self.tmp / "PWNED").iterdir()), [],
                         "a value was executed by a shell")


class Arguments(WrapperCase):
    def test_metacharacters_reach_the_helper_verbatim_and_run_nothing(self):
        self.fake_on_path()
        extra = ["--note", NASTY, "$(touch PWNED/extra)", "x;touch PWNED/extra2", "`touch PWNED/extra3`", "--flag=$HOME|*"]
        env = rollout_env(
            PATH=f"{self.bin}{os.pathsep}{path_without_ecs_rollout()}",
            ECS_ROLLOUT_ASG_NAME=NASTY,
            ECS_ROLLOUT_CLUSTER_NAME="c; touch PWNED/cluster",
            ECS_ROLLOUT_ENDPOINT_URL="http://127.0.0.1:1/$(touch PWNED/url)",
            ECS_ROLLOUT_PROFILE="p`touch PWNED/profile`",
            ECS_ROLLOUT_EXTRA_ARGS="\n".join(extra),
        )
        proc = self.run_wrapper(env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([r["argv"] for r in self.records()], [[
            "rollout", "--asg-name", NASTY, "--cluster-name", "c; touch PWNED/cluster",
            "--aws-region", "eu-west-1", "--endpoint-url", "http://127.0.0.1:1/$(touch PWNED/url)",
            "--profile", "p`touch PWNED/profile`", "--yes"] + extra])
        self.assert_nothing_pwned()

    def test_only_required_values_give_the_minimal_command(self):
        self.fake_on_path()
        env = rollout_env(PATH=f"{self.bin}{os.pathsep}{path_without_ecs_rollout()}",
                          ECS_ROLLOUT_ENDPOINT_URL="", ECS_ROLLOUT_PROFILE="", ECS_ROLLOUT_BATCH_SIZE="",
                          ECS_ROLLOUT_DRAIN_TIMEOUT="", ECS_ROLLOUT_INSTANCE_TIMEOUT="", ECS_ROLLOUT_EXTRA_ARGS="")
        proc = self.run_wrapper(env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.records()[0]["argv"], [
            "rollout", "--asg-name", "my-asg", "--cluster-name", "my-cluster", "--aws-region", "eu-west-1", "--yes"])

    def test_numbers_and_timeouts_become_flags(self):
        self.fake_on_path()
        env = rollout_env(PATH=f"{self.bin}{os.pathsep}{path_without_ecs_rollout()}",
                          ECS_ROLLOUT_BATCH_SIZE="3", ECS_ROLLOUT_DRAIN_TIMEOUT="600",
                          ECS_ROLLOUT_INSTANCE_TIMEOUT="900", ECS_ROLLOUT_EXTRA_ARGS="--standalone-tasks\nstop\n")
        proc = self.run_wrapper(env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.records()[0]["argv"], [
            "rollout", "--asg-name", "my-asg", "--cluster-name", "my-cluster", "--aws-region", "eu-west-1",
            "--batch-size", "3", "--drain-timeout", "600", "--instance-timeout", "900", "--yes",
            "--standalone-tasks", "stop"])

    def test_arguments_given_to_the_wrapper_go_to_the_helper_instead(self):
        self.fake_on_path()
        proc = self.run_wrapper(clean_env(PATH=f"{self.bin}{os.pathsep}{path_without_ecs_rollout()}"),
                                args=["status", "--asg-name", "a b", "$(touch PWNED/arg)"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.records()[0]["argv"], ["status", "--asg-name", "a b", "$(touch PWNED/arg)"])
        self.assert_nothing_pwned()

    def test_missing_required_variable_is_a_usage_error(self):
        self.fake_on_path()
        env = rollout_env(PATH=f"{self.bin}{os.pathsep}{path_without_ecs_rollout()}")
        del env["ECS_ROLLOUT_REGION"]
        proc = self.run_wrapper(env)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("ECS_ROLLOUT_REGION is not set", proc.stderr)
        self.assertEqual(self.records(), [], "the helper must not run")

    def test_malformed_number_is_a_usage_error(self):
        self.fake_on_path()
        env = rollout_env(PATH=f"{self.bin}{os.pathsep}{path_without_ecs_rollout()}",
                          ECS_ROLLOUT_BATCH_SIZE="2; touch PWNED/batch")
        proc = self.run_wrapper(env)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("ECS_ROLLOUT_BATCH_SIZE must be a whole number", proc.stderr)
        self.assertEqual(self.records(), [])
        self.assert_nothing_pwned()

    def test_the_helpers_exit_status_is_the_wrappers(self):
        self.fake_on_path()
        for status in ("1", "4", "5"):
            env = rollout_env(PATH=f"{self.bin}{os.pathsep}{path_without_ecs_rollout()}", FAKE_ECS_ROLLOUT_EXIT=status)
            proc = self.run_wrapper(env)
            self.assertEqual(proc.returncode, int(status), proc.stderr)


class FindingTheHelper(WrapperCase):
    def test_ecs_rollout_helper_comes_before_path(self):
        self.fake_on_path()  # would record too, but must not be the one run
        other = self.tmp / "elsewhere" / "my-rollout"
        other.parent.mkdir()
        other.write_text("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/argv\"\n")
        other.chmod(0o755)
        env = rollout_env(PATH=f"{self.bin}{os.pathsep}{path_without_ecs_rollout()}", ECS_ROLLOUT_HELPER=str(other))
        proc = self.run_wrapper(env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual((other.parent / "argv").read_text().splitlines()[:3], ["rollout", "--asg-name", "my-asg"])
        self.assertEqual(self.records(), [])

    def test_relative_helper_path_is_a_file_not_a_command_name(self):
        self.fake_on_path()  # a PATH lookup of the bare name would find this one
        local = self.tmp / "ecs-rollout"
        local.write_text("#!/bin/sh\necho local > \"$(dirname \"$0\")/ran-local\"\n")
        local.chmod(0o755)
        env = rollout_env(PATH=f"{self.bin}{os.pathsep}{path_without_ecs_rollout()}", ECS_ROLLOUT_HELPER="ecs-rollout")
        proc = self.run_wrapper(env, cwd=self.tmp)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue((self.tmp / "ran-local").exists())
        self.assertEqual(self.records(), [])

    def test_helper_that_is_not_executable_is_reported(self):
        env = rollout_env(ECS_ROLLOUT_HELPER=str(self.tmp / "no-such-helper"))
        proc = self.run_wrapper(env)
        self.assertEqual(proc.returncode, 3)
        self.assertIn("is not an executable file", proc.stderr)

    def test_no_helper_and_no_sources_explains_what_to_do(self):
        env = rollout_env(ECS_ROLLOUT_HELPER_SOURCE=str(self.tmp / "nowhere"),
                          ECS_ROLLOUT_CACHE_DIR=str(self.tmp / "cache"))
        proc = self.run_wrapper(env)
        self.assertEqual(proc.returncode, 3)
        self.assertIn("there are no helper sources at", proc.stderr)
        self.assertIn("rollout_helper_path", proc.stderr)
        self.assertIn(DEBIAN_PACKAGES, proc.stderr)


def make_fake_sources(directory, body="echo fake-helper \"$$@\"", barrier=None, fail=False):
    """A helper source tree with the real one's interface (make BUILD=... BIN=...)
    that builds a tiny script; with barrier, the build waits for that file."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "VERSION").write_text("9.9.9\n")
    (directory / "src").mkdir(exist_ok=True)
    (directory / "src" / "main.c").write_text("/* fake */\n")
    wait = f"\tmkdir -p $(BUILD) && touch $(BUILD)/../started\n\twhile [ ! -e {barrier} ]; do sleep 0.05; done\n" if barrier else ""
    recipe = "\t@echo 'src/main.c:1: error: this build fails on purpose' >&2; exit 1\n" if fail else (
        f"{wait}\tmkdir -p $(dir $(BIN))\n"
        f"\tprintf '#!/bin/sh\\n{body}\\n' > $(BIN)\n\tchmod +x $(BIN)\n")
    (directory / "Makefile").write_text(f"BUILD ?= build\nBIN ?= $(BUILD)/ecs-rollout\nall:\n{recipe}")
    return directory


class BuildCase(WrapperCase):
    """What the tests of the cached build share (no tests of its own)."""

    def key_of(self, env):
        """The cache key the wrapper uses with env: found by a first build,
        which is then removed."""
        proc = self.run_wrapper(env, args=["--version"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        built = self.builds()
        self.assertEqual(len(built), 1, built)
        shutil.rmtree(built[0])
        return built[0].name

    def builds(self, root=None):
        root = root or self.tmp / "cache"
        return sorted(p for p in root.iterdir() if not p.name.startswith("."))

    def build_env(self, src, **extra):
        env = dict(ECS_ROLLOUT_HELPER_SOURCE=str(src), ECS_ROLLOUT_CACHE_DIR=str(self.tmp / "cache"),
                   TMPDIR=str(self.tmpdir))
        env.update(extra)
        return clean_env(**env)


class CachedBuild(BuildCase):
    def test_builds_once_then_reuses_and_rebuilds_when_sources_change(self):
        src = make_fake_sources(self.tmp / "src")
        first = self.run_wrapper(self.build_env(src), args=["--version"])
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertEqual(first.stdout.strip(), "fake-helper --version")
        self.assertIn("building ecs-rollout 9.9.9-", first.stderr)

        second = self.run_wrapper(self.build_env(src), args=["--version"])
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertNotIn("building", second.stderr)
        self.assertIn("using the cached build", second.stderr)

        (src / "src" / "main.c").write_text("/* changed */\n")
        third = self.run_wrapper(self.build_env(src), args=["--version"])
        self.assertIn("building ecs-rollout 9.9.9-", third.stderr)
        builds = sorted(p.name for p in (self.tmp / "cache").iterdir() if not p.name.startswith("."))
        self.assertEqual(len(builds), 2, f"one build per source state, got {builds}")
        self.assertTrue(all(b.startswith("9.9.9-") for b in builds))

    def test_failed_build_shows_the_log_and_the_way_out(self):
        src = make_fake_sources(self.tmp / "src", fail=True)
        proc = self.run_wrapper(self.build_env(src), args=["--version"])
        self.assertEqual(proc.returncode, 3)
        self.assertIn("building ecs-rollout from", proc.stderr)
        self.assertIn("this build fails on purpose", proc.stderr)
        self.assertIn(DEBIAN_PACKAGES, proc.stderr)
        self.assertEqual([p for p in (self.tmp / "cache").iterdir() if not p.name.startswith(".")], [],
                         "a failed build must leave no usable cache entry")

    def test_missing_build_tools_are_named_with_their_packages(self):
        # A PATH with the shell tools the wrapper uses, but no make, compiler or pkg-config.
        tools = tools_dir(self.tmp / "tools", SHELL_TOOLS + ("flock",))
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src, PATH=str(tools), CC="cc")
        proc = subprocess.run([str(tools / "bash"), str(WRAPPER), "--version"], env=env, cwd=self.tmp,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        for needed in ("make (Debian package: make)", "a C compiler, cc (Debian package: gcc)",
                       "pkg-config (Debian package: pkg-config)", DEBIAN_PACKAGES):
            self.assertIn(needed, proc.stderr)

    def _concurrent_builds_share_one(self, env_extra=None):
        barrier = self.tmp / "barrier"
        src = make_fake_sources(self.tmp / "src", barrier=barrier)
        env = self.build_env(src, **(env_extra or {}))
        first = subprocess.Popen(["bash", str(WRAPPER), "--version"], env=env, cwd=self.tmp,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        second = None
        try:
            # Wait until the first build is inside make, holding the lock.
            started = list(self.tmpdir.glob("ecs-rollout-build.*/started"))
            while not started:
                self.assertIsNone(first.poll(), "the first wrapper ended before building")
                subprocess.run(["sleep", "0.05"])
                started = list(self.tmpdir.glob("ecs-rollout-build.*/started"))
            second = subprocess.Popen(["bash", str(WRAPPER), "--version"], env=env, cwd=self.tmp,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # The second one says it waits for the lock, and only then may the build finish.
            waiting = second.stderr.readline()
            self.assertIn("another ecs-rollout build is running; waiting for it", waiting)
            barrier.touch()
            out1, err1 = first.communicate(timeout=HANG_GUARD)
            out2, err2 = second.communicate(timeout=HANG_GUARD)
        finally:
            barrier.touch()
            for p in (first, second):
                if p and p.poll() is None:
                    p.kill()
                    p.wait()
        self.assertEqual((first.returncode, second.returncode), (0, 0), err1 + err2)
        self.assertEqual((out1.strip(), out2.strip()), ("fake-helper --version", "fake-helper --version"))
        self.assertIn("building ecs-rollout", err1)
        self.assertNotIn("building ecs-rollout", err2)
        self.assertIn("using the build another process just made", err2)

    def test_concurrent_builds_wait_for_one_another_with_flock(self):
        if not shutil.which("flock"):
            self.fail("flock (util-linux) is missing")
        self._concurrent_builds_share_one()

    def test_concurrent_builds_wait_for_one_another_without_flock(self):
        # The portable lock (a directory with the owner's pid), as on macOS:
        # a PATH that has everything but flock.
        tools = tools_dir(self.tmp / "tools", SHELL_TOOLS + BUILD_TOOLS)
        self._concurrent_builds_share_one({"PATH": str(tools)})

    def test_stale_lock_of_a_dead_process_is_removed(self):
        tools = tools_dir(self.tmp / "tools", SHELL_TOOLS + BUILD_TOOLS)
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src, PATH=str(tools))
        key = self.key_of(env)
        dead = subprocess.Popen(["true"])
        dead.wait()
        lock = self.tmp / "cache" / f".build-{key}.lock.d"
        lock.mkdir()
        (lock / "pid").write_text(f"{dead.pid}\n")
        proc = self.run_wrapper(env, args=["--version"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"removing the stale build lock of process {dead.pid}", proc.stderr)
        self.assertEqual(proc.stdout.strip(), "fake-helper --version")


PLANTED = "#!/bin/sh\ntouch \"{marker}\"\necho planted\n"
NOBODY = 65534


class CacheTrust(BuildCase):
    """A cached helper runs only if it and every directory up to the cache
    root belong to this user (or root) and no one else may write to them, as
    OpenSSH's StrictModes; otherwise it is built again where it is private."""

    def plant(self, binary):
        """Replaces a cached build with a program that leaves a mark if run."""
        marker = self.tmp / "PWNED" / "planted-ran"
        binary.unlink()
        binary.write_text(PLANTED.format(marker=marker))
        binary.chmod(0o755)
        return marker

    def first_build(self, src, env):
        proc = self.run_wrapper(env, args=["--version"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return self.builds()[0]

    def assert_rebuilt_without_running(self, proc, marker):
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "fake-helper --version")
        self.assertFalse(marker.exists(), "the planted program ran")
        self.assertIn("building ecs-rollout", proc.stderr)

    def test_binary_planted_in_a_shared_cache_never_runs(self):
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src)
        entry = self.first_build(src, env)
        marker = self.plant(entry / "ecs-rollout")
        (self.tmp / "cache").chmod(0o777)  # a cache directory anyone can write to
        proc = self.run_wrapper(env, args=["--version"])
        self.assert_rebuilt_without_running(proc, marker)
        self.assertIn("not using the cache", proc.stderr)
        self.assertIn("writable by its group or by others", proc.stderr)
        private = self.tmpdir / f"ecs-rollout-{os.getuid()}"
        self.assertEqual(stat.S_IMODE(private.stat().st_mode), 0o700)
        self.assertEqual([p.name for p in self.builds(private)], [entry.name])
        # The next run uses the private build, still without the planted one.
        again = self.run_wrapper(env, args=["--version"])
        self.assertEqual(again.stdout.strip(), "fake-helper --version", again.stderr)
        self.assertIn(f"using the cached build {private}", again.stderr)
        self.assertFalse(marker.exists())

    def test_binary_of_another_user_never_runs(self):
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src)
        entry = self.first_build(src, env)
        marker = self.plant(entry / "ecs-rollout")
        os.chown(entry / "ecs-rollout", NOBODY, NOBODY)
        proc = self.run_wrapper(env, args=["--version"])
        self.assert_rebuilt_without_running(proc, marker)
        self.assertIn("belongs to another user", proc.stderr)
        self.assertEqual((entry / "ecs-rollout").stat().st_uid, os.getuid())

    def test_build_directory_others_may_write_to_is_not_trusted(self):
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src)
        entry = self.first_build(src, env)
        marker = self.plant(entry / "ecs-rollout")
        entry.chmod(0o770)
        proc = self.run_wrapper(env, args=["--version"])
        self.assert_rebuilt_without_running(proc, marker)
        self.assertIn(f"{entry} is writable by its group or by others", proc.stderr)
        self.assertEqual(stat.S_IMODE(entry.stat().st_mode), 0o700)

    def test_cached_binary_that_is_a_symbolic_link_never_runs(self):
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src)
        entry = self.first_build(src, env)
        elsewhere = self.tmp / "elsewhere"
        marker = self.plant(entry / "ecs-rollout")
        (entry / "ecs-rollout").rename(elsewhere)
        (entry / "ecs-rollout").symlink_to(elsewhere)
        proc = self.run_wrapper(env, args=["--version"])
        self.assert_rebuilt_without_running(proc, marker)
        self.assertIn("is a symbolic link", proc.stderr)

    def test_untrusted_cache_and_fallback_stop_with_a_clear_error(self):
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src)
        entry = self.first_build(src, env)
        marker = self.plant(entry / "ecs-rollout")
        (self.tmp / "cache").chmod(0o777)
        fallback = self.tmpdir / f"ecs-rollout-{os.getuid()}"
        fallback.mkdir(mode=0o777)
        fallback.chmod(0o777)
        proc = self.run_wrapper(env, args=["--version"])
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertFalse(marker.exists(), "the planted program ran")
        self.assertIn(f"the cache directory {self.tmp / 'cache'} cannot be trusted", proc.stderr)
        self.assertIn(f"nor can the private fallback {fallback}", proc.stderr)
        self.assertIn("Point ECS_ROLLOUT_CACHE_DIR at a directory that only you can write to", proc.stderr)

    def test_new_cache_directories_are_private(self):
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src, ECS_ROLLOUT_CACHE_DIR=str(self.tmp / "new" / "cache"))
        proc = subprocess.run(["bash", "-c", 'umask 002; exec bash "$0" --version', str(WRAPPER)], env=env,
                              cwd=self.tmp, capture_output=True, text=True, timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        root = self.tmp / "new" / "cache"
        entry = self.builds(root)[0]
        for p in (root, entry, entry / "ecs-rollout"):
            self.assertEqual(stat.S_IMODE(p.stat().st_mode) & 0o077, 0, f"{p} is not private")
        self.assertEqual([p.name for p in self.tmpdir.iterdir()], [], "the build directory was left behind")


class BuildLock(BuildCase):
    def test_lock_never_follows_a_planted_symbolic_link(self):
        if not shutil.which("flock"):
            self.fail("flock (util-linux) is missing")
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src)
        key = self.key_of(env)
        victim = self.tmp / "victim"
        victim.write_text("precious\n")
        lock = self.tmp / "cache" / f".build-{key}.lock"
        lock.unlink()
        lock.symlink_to(victim)
        proc = self.run_wrapper(env, args=["--version"])
        self.assertEqual(victim.read_text(), "precious\n", "the lock truncated what a planted link points to")
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn(f"the build lock {lock} is not a regular file", proc.stderr)

    def test_lock_never_creates_through_a_dangling_symbolic_link(self):
        if not shutil.which("flock"):
            self.fail("flock (util-linux) is missing")
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src)
        key = self.key_of(env)
        target = self.tmp / "created-through-link"
        lock = self.tmp / "cache" / f".build-{key}.lock"
        lock.unlink()
        lock.symlink_to(target)
        proc = self.run_wrapper(env, args=["--version"])
        self.assertFalse(target.exists(), "the lock created a file where a planted link points")
        self.assertEqual(proc.returncode, 3, proc.stderr)

    def test_lock_directory_never_follows_a_planted_symbolic_link(self):
        # Without flock (macOS): the lock directory may not be a link either.
        tools = tools_dir(self.tmp / "tools", SHELL_TOOLS + BUILD_TOOLS)
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src, PATH=str(tools), ECS_ROLLOUT_BUILD_LOCK_TIMEOUT="3")
        key = self.key_of(env)
        victim = self.tmp / "victim-dir"
        victim.mkdir()
        lock = self.tmp / "cache" / f".build-{key}.lock.d"
        lock.symlink_to(victim)
        proc = self.run_wrapper(env, args=["--version"])
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn(f"the build lock {lock} is not a directory", proc.stderr)
        self.assertEqual(list(victim.iterdir()), [])

    def test_lock_directory_of_an_owner_that_died_before_writing_its_pid_is_recovered(self):
        tools = tools_dir(self.tmp / "tools", SHELL_TOOLS + BUILD_TOOLS)
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src, PATH=str(tools), ECS_ROLLOUT_BUILD_LOCK_TIMEOUT="5")
        key = self.key_of(env)
        lock = self.tmp / "cache" / f".build-{key}.lock.d"
        lock.mkdir()
        old = lock.stat().st_mtime - 3600
        os.utime(lock, (old, old))
        proc = self.run_wrapper(env, args=["--version"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("removing the stale build lock that names no process", proc.stderr)
        self.assertEqual(proc.stdout.strip(), "fake-helper --version")
        self.assertFalse(lock.exists())


class CachePlacement(BuildCase):
    def test_existing_destination_is_replaced_not_nested_into(self):
        src = make_fake_sources(self.tmp / "src")
        env = self.build_env(src)
        key = self.key_of(env)
        dest = self.tmp / "cache" / key
        dest.mkdir(mode=0o700)  # left over without a build in it
        proc = self.run_wrapper(env, args=["--version"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "fake-helper --version")
        self.assertEqual(sorted(p.name for p in dest.iterdir()), ["ecs-rollout"])

    def fake_toolchain(self):
        """cc and pkg-config that report versions from the environment and
        otherwise are the real ones."""
        fake = self.tmp / "fakebin"
        fake.mkdir()
        real_cc, real_pkg = shutil.which("cc"), shutil.which("pkg-config")
        (fake / "cc").write_text(
            f'#!/bin/sh\nif [ "$1" = --version ]; then echo "cc $FAKE_CC_VERSION"; exit 0; fi\nexec {real_cc} "$@"\n')
        (fake / "pkg-config").write_text(
            '#!/bin/sh\nif [ "$1" = --modversion ]; then shift; for l; do echo "$l $FAKE_LIB_VERSION"; done; exit 0; fi\n'
            f'exec {real_pkg} "$@"\n')
        for f in fake.iterdir():
            f.chmod(0o755)
        return f"{fake}{os.pathsep}{path_without_ecs_rollout()}"

    def test_cache_key_covers_the_compiler_and_the_libraries(self):
        src = make_fake_sources(self.tmp / "src")
        path = self.fake_toolchain()
        keys = []
        for cc_version, lib_version in (("1.0", "7.88"), ("1.0", "7.88"), ("2.0", "7.88"), ("2.0", "8.0")):
            env = self.build_env(src, PATH=path, CC="cc", FAKE_CC_VERSION=cc_version, FAKE_LIB_VERSION=lib_version)
            proc = self.run_wrapper(env, args=["--version"])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            keys.append([line for line in proc.stderr.splitlines() if "building ecs-rollout" in line])
        self.assertNotEqual(keys[0], [], "the first run builds")
        self.assertEqual(keys[1], [], "the same toolchain reuses the build")
        self.assertNotEqual(keys[2], [], "another compiler version builds again")
        self.assertNotEqual(keys[3], [], "another library version builds again")
        self.assertEqual(len(self.builds()), 3)


class RealHelperBuild(WrapperCase):
    """With no ecs-rollout on PATH and an empty cache, the wrapper builds the
    real helper from the repository's helper/ (found from the wrapper's own
    location, as in a git:: module source) into the cache, runs it, and the
    next run reuses the build. helper/ itself is left untouched. HOME and
    TMPDIR hold spaces, which make cannot handle in its paths."""

    def snapshot(self):
        helper = ROOT / "helper"
        snap = {}
        for p in helper.rglob("*"):
            rel = p.relative_to(helper)
            # Other tests build into helper/build* at the same time (tests/run
            # runs programs in parallel); the wrapper must not write anywhere.
            if rel.parts[0].startswith("build") or rel == pathlib.Path("ecs-rollout"):
                continue
            snap[str(rel)] = p.stat().st_mtime_ns
        return snap

    def test_builds_the_real_helper_into_the_cache_and_reuses_it(self):
        version = (ROOT / "helper" / "VERSION").read_text().strip()
        before = self.snapshot()
        home = self.tmp / "home with spaces"
        (home / "tmp dir").mkdir(parents=True)
        env = clean_env(HOME=str(home), TMPDIR=str(home / "tmp dir"))
        env.pop("XDG_CACHE_HOME", None)
        first = self.run_wrapper(env, args=["--version"])
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertEqual(first.stdout.strip(), f"ecs-rollout {version}")
        self.assertIn(f"building ecs-rollout {version}-", first.stderr)
        self.assertIn(f"from {(ROOT / 'helper').resolve()}", first.stderr)

        second = self.run_wrapper(env, args=["--version"])
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(second.stdout.strip(), f"ecs-rollout {version}")
        self.assertNotIn("building", second.stderr)
        self.assertIn("using the cached build", second.stderr)

        cache = home / ".cache" / "ecs-rollout"
        self.assertIn(f"using the cached build {cache}/", second.stderr)
        builds = [p for p in cache.iterdir() if not p.name.startswith(".")]
        self.assertEqual([sorted(q.name for q in b.iterdir()) for b in builds], [["ecs-rollout"]])
        self.assertEqual(self.snapshot(), before, "the build must write only into the cache")


if __name__ == "__main__":
    testlib.main()
