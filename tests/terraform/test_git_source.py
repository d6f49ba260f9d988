"""The ecs-cluster module consumed as users do, through a git source URL
(git::file://REPO//modules/ecs-cluster?ref=TAG) in a fresh directory: terraform
init downloads the whole repository, with the helper sources, and the
configuration validates.

The repository is a temporary git repository holding this working tree's
modules/ and helper/, so uncommitted changes are what gets tested. Applying
it against the simulator, where the downloaded wrapper, with no ecs-rollout
on PATH and an empty cache, builds the helper from the downloaded sources and
runs it, is test_e2e_git_source.py (one build of the helper, ~11 CPU seconds,
rather than one here too)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import tflib  # noqa: E402

ROOT_CONFIG = """
module "ecs_cluster" {
  source = "git::file://%(repo)s//modules/ecs-cluster?ref=v0.0.0-test"

  cluster_name          = "git-source"
  cluster_instance_type = "t3.micro"
  cluster_min_size      = 1
  cluster_max_size      = 2
  vpc_id                = "vpc-0123456789abcdef0"
  vpc_subnet_ids        = ["subnet-0123456789abcdef0"]
}

provider "aws" {
  region = "us-east-1"
}
"""


git = tflib.git


class GitSource(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tflib.terraform_bin()
        tflib.plugin_dir()
        cls.tmp = tflib.TempDir("tf-git-source-")
        repo = cls.tmp.path / "repo"
        tflib.git_snapshot(repo)
        git(["tag", "v0.0.0-test"], repo)

        cls.workdir = cls.tmp.path / "consumer"
        cls.workdir.mkdir()
        (cls.workdir / "main.tf").write_text(ROOT_CONFIG % {"repo": repo})
        cls.environ = tflib.env(cls.tmp.path)
        cls.init = tflib.run(["init", "-backend=false", "-input=false", "-no-color",
                              f"-plugin-dir={tflib.plugin_dir()}"], cls.workdir, cls.environ)
        cls.module_dir = cls.workdir / ".terraform" / "modules" / "ecs_cluster" / "modules" / "ecs-cluster"

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_init_downloads_the_whole_repository(self):
        self.assertEqual(self.init.returncode, 0, self.init.stdout)
        self.assertTrue((self.module_dir / "scripts" / "ecs-rollout-wrapper").is_file())
        self.assertTrue((self.module_dir / ".." / ".." / "helper" / "Makefile").resolve().is_file(),
                        "the helper sources must come with the module")

    def test_configuration_validates(self):
        self.assertEqual(self.init.returncode, 0, self.init.stdout)
        proc = tflib.run(["validate", "-no-color"], self.workdir, self.environ)
        self.assertEqual(proc.returncode, 0, proc.stdout)


if __name__ == "__main__":
    testlib.main()
