"""The modules consumed as users do, through git source URLs pinned to a commit
(git::file://CLONE//modules/ecs-cluster?ref=SHA), from a configuration in a
fresh directory, applied against the cluster simulator with no ecs-rollout
anywhere (not on PATH, no rollout_helper_path, no ECS_ROLLOUT_HELPER): the
first apply makes the module's wrapper build the helper from the downloaded
sources into an empty cache directory; the second apply, with a new AMI, runs
the cached build and its rollout works as with an installed helper.

The repository is a temporary git repository holding this working tree's
modules/ and helper/, so uncommitted changes are what gets tested."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import tflib  # noqa: E402
from e2elib import (AMI_A, AMI_B, Snapshot, Walk, Workspace, environ_without_helper,  # noqa: E402
                    start_simulator, wait_until_serving)

CLUSTER = "e2e-git"
SERVICE = f"{CLUSTER}-web"
EXAMPLE = tflib.EXAMPLES / "local-simulator"


def consumer_config(repo, commit):
    """examples/local-simulator with both modules taken from the git repository."""
    files = {}
    for path in sorted(EXAMPLE.glob("*.tf")):
        text = path.read_text()
        for module in ("ecs-cluster", "ecs-service"):
            text, n = re.subn(rf'source\s*=\s*"\.\./\.\./modules/{module}"',
                              f'source = "git::file://{repo}//modules/{module}?ref={commit}"', text)
            if path.name == "main.tf" and n != 1:
                raise AssertionError(f"{path} should use ../../modules/{module} exactly once")
        files[path.name] = text
    return files


class GitSourceApply(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tflib.terraform_bin()
        tflib.plugin_dir()
        cls.tmp = tflib.TempDir("tf-e2e-git-")
        cls.sim = start_simulator()
        try:
            repo = cls.tmp.path / "repo"
            cls.commit = tflib.git_snapshot(repo)
            # A later commit that must not be what the ref selects.
            (repo / "modules" / "ecs-cluster" / "scripts" / "ecs-rollout-wrapper").write_text("exit 99\n")
            tflib.git(["commit", "-q", "-am", "later"], repo)

            cls.workdir = cls.tmp.path / "consumer"
            cls.workdir.mkdir()
            for name, text in consumer_config(repo, cls.commit).items():
                (cls.workdir / name).write_text(text)
            cls.cache = cls.tmp.path / "cache"
            environ = environ_without_helper(cls.tmp.path, cls.cache)
            for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
                environ.pop(k, None)
            cls.ws = Workspace(cls.workdir, cls.sim, environ, {
                "aws_endpoint_url": cls.sim.endpoint,
                "cluster_name": CLUSTER,
            })
            cls.ws.init()
            cls.walk = Walk()
            cls._walk()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "ws", None):
            cls.ws.close()
        cls.sim.stop()
        cls.tmp.cleanup()

    @classmethod
    def _walk(cls):
        sim, ws = cls.sim, cls.ws

        def create():
            run = ws.apply(cluster_instance_ami=AMI_A)
            if run.rc != 0:
                return {"run": run, "stop": f"the first apply failed: {run!r}"}
            wait_until_serving(sim, CLUSTER, CLUSTER, SERVICE, 2, 1)
            return {"run": run, "after": Snapshot(sim, CLUSTER, CLUSTER)}

        def new_ami():
            before = Snapshot(sim, CLUSTER, CLUSTER)
            run = ws.apply(cluster_instance_ami=AMI_B)
            return {"run": run, "before": before, "after": Snapshot(sim, CLUSTER, CLUSTER)}

        cls.walk.run("create", create)
        cls.walk.run("new_ami", new_ami)

    def assertSays(self, run, pattern):
        if not re.search(pattern, run.out):
            self.fail(f"no match for {pattern!r} in the output of {run!r}")

    def test_init_downloads_the_pinned_commit_with_the_helper_sources(self):
        module = self.workdir / ".terraform" / "modules" / "ecs_cluster"
        self.assertTrue((module / "helper" / "Makefile").is_file())
        wrapper = (module / "modules" / "ecs-cluster" / "scripts" / "ecs-rollout-wrapper").read_text()
        self.assertNotEqual(wrapper, "exit 99\n", "the ref must select the pinned commit, not the latest")

    def test_first_apply_builds_the_helper_into_the_cache_and_runs_it(self):
        s = self.walk.step(self, "create")
        run = s["run"]
        self.assertEqual(run.rc, 0, run)
        helper_src = (self.workdir / ".terraform" / "modules" / "ecs_cluster" / "helper").resolve()
        self.assertSays(run, rf"\(local-exec\): ecs-rollout-wrapper: building ecs-rollout \S+ from "
                             rf"{re.escape(str(helper_src))} into {re.escape(str(self.cache))}/")
        self.assertSays(run, rf"\(local-exec\): ecs-rollout-wrapper: running: {re.escape(str(self.cache))}/"
                             r"[^/\s]+/ecs-rollout rollout ")
        self.assertSays(run, r"\(local-exec\): \d\d:\d\d:\d\d nothing to do: all 2 instance\(s\) are current")
        built = list(self.cache.glob("*/ecs-rollout"))
        self.assertEqual(len(built), 1, built)

    def test_the_cached_build_is_the_helper_of_the_downloaded_sources(self):
        s = self.walk.step(self, "create")
        self.assertEqual(s["run"].rc, 0, s["run"])
        built = list(self.cache.glob("*/ecs-rollout"))
        self.assertEqual(len(built), 1, built)
        version = (tflib.ROOT / "helper" / "VERSION").read_text().strip()
        proc = subprocess.run([str(built[0]), "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), f"ecs-rollout {version}")

    def test_second_apply_rolls_out_with_the_cached_build(self):
        s = self.walk.step(self, "new_ami")
        run = s["run"]
        self.assertEqual(run.rc, 0, run)
        self.assertSays(run, rf"\(local-exec\): ecs-rollout-wrapper: using the cached build "
                             rf"{re.escape(str(self.cache))}/[^/\s]+/ecs-rollout")
        self.assertNotIn("building ecs-rollout", run.out)
        self.assertSays(run, r"\(local-exec\): \d\d:\d\d:\d\d done: 2 instance\(s\) replaced")
        self.assertLess(run.index("aws_autoscaling_group.this: Modifications complete"),
                        run.index("done: 2 instance(s) replaced"))
        self.assertLess(run.index("done: 2 instance(s) replaced"), run.index("Apply complete!"))

    def test_second_apply_replaces_every_instance_with_zero_downtime(self):
        s = self.walk.step(self, "new_ami")
        before, after = s["before"], s["after"]
        self.assertEqual(set(after.versions().values()), {"2"}, after.group["Instances"])
        self.assertEqual(after.amis(), {i: AMI_B for i in after.instance_ids()})
        self.assertFalse(set(before.instance_ids()) & set(after.instance_ids()))
        g = after.group
        self.assertEqual((g["MinSize"], g["MaxSize"], g["DesiredCapacity"]), (2, 4, 2))
        self.assertEqual(after.suspended(), [])
        self.assertEqual(after.rollout_tags(), [])
        led = after.ledger
        self.assertEqual(led["abrupt_kills"], [])
        svc = [x for x in led["services"] if x["service"] == SERVICE][0]
        self.assertFalse(svc["went_below_allowed"], svc)
        self.assertFalse(svc["went_below_desired"], svc)
        self.assertEqual(led["instances_left_draining"], [])


if __name__ == "__main__":
    testlib.main()
