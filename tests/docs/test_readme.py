"""The top-level README against the repository it describes: every `make`
target it names exists, every option and subcommand it names is one the
helper's --help shows, its exit-code table is the helper's, its IAM action
list is the policy the module outputs, and every relative link resolves.
A README that drifts from the code fails here."""
import pathlib
import re
import subprocess
import unittest

import testlib

ROOT = testlib.ROOT
README = (ROOT / "README.md").read_text(encoding="utf-8")


def helper_help():
    proc = subprocess.run([testlib.helper_bin(sanitized=False), "--help"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=30)
    if proc.returncode != 0:
        raise AssertionError(f"ecs-rollout --help exited {proc.returncode}: {proc.stdout}")
    return proc.stdout


def makefile_targets():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, re.M))


class Readme(unittest.TestCase):
    def test_make_targets_exist(self):
        named = set(re.findall(r"`make ([a-z][a-z0-9-]*)", README))
        self.assertIn("demo", named)
        self.assertIn("test", named)
        self.assertEqual(named - makefile_targets(), set(), "README names make targets the Makefile lacks")

    def test_options_exist(self):
        help_text = helper_help()
        offered = set(re.findall(r"(--[a-z][a-z-]+)", help_text))
        # Options of other tools the README quotes (terraform output -raw).
        foreign = {"--raw"}
        named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", README)) - foreign
        self.assertTrue(named, "no option found in the README")
        self.assertEqual(named - offered, set(), "README names options --help does not show")

    def test_subcommands_exist(self):
        help_text = helper_help()
        named = set(re.findall(r"ecs-rollout (plan|status|external|rollout)\b", README))
        self.assertEqual(named, {"plan", "status", "external"})
        for cmd in named:
            self.assertRegex(help_text, rf"(?m)^\s+{cmd}\b", f"subcommand {cmd} is not in --help")

    def test_exit_codes_match_help(self):
        help_text = helper_help()
        help_codes = set(int(c) for c in re.findall(r"(?m)^  ([0-9])\n", help_text))
        table = re.search(r"### Exit codes\n\n(.*?)\n\n", README, re.S)
        self.assertIsNotNone(table, "README has no exit code table")
        readme_codes = set(int(c) for c in re.findall(r"(?m)^\| ([0-9]) \|", table.group(1)))
        self.assertTrue(help_codes, "no exit codes found in --help")
        self.assertEqual(readme_codes, help_codes)

    def test_iam_actions_match_the_module_policy(self):
        iam = (ROOT / "modules" / "ecs-cluster" / "iam.tf").read_text(encoding="utf-8")
        start = iam.index("rollout_iam_policy = {")
        policy = set(re.findall(r'"((?:autoscaling|ecs|ec2):[A-Z][A-Za-z]+)"', iam[start:]))
        section = re.search(r"## IAM policy\n(.*?)\n## ", README, re.S).group(1)
        named = set()
        for service, actions in re.findall(r"`(autoscaling|ecs|ec2):` ([A-Za-z, ]+?)(?:;|\. |\n\n| and nothing)",
                                           section.replace("\n", " ")):
            for action in re.findall(r"[A-Z][A-Za-z]+", actions):
                named.add(f"{service}:{action}")
        self.assertTrue(policy, "no actions found in modules/ecs-cluster/iam.tf")
        self.assertEqual(named, policy)

    def test_security_section_names_real_tests(self):
        section = re.search(r"\n## Security\n(.*?)\n## ", README, re.S)
        self.assertIsNotNone(section, "README has no Security section")
        named = re.findall(r"`(test_[a-z0-9_]+)`(?: \(([^)]*)\))?", section.group(1).replace("\n", " "))
        self.assertTrue(named, "the Security section names no tests")
        for program, parts in named:
            files = list((ROOT / "tests").rglob(f"{program}.py")) + list((ROOT / "tests").rglob(f"{program}.c"))
            self.assertEqual(len(files), 1, f"{program}: no single test program of that name")
            text = files[0].read_text(encoding="utf-8")
            for part in re.findall(r"`([A-Za-z0-9_]+)\*?`", parts or ""):
                self.assertIn(part, text, f"{program} has no {part}")

    def test_relative_links_resolve(self):
        links = re.findall(r"\]\(([^)#:]+)\)", README)
        self.assertTrue(links)
        for link in links:
            self.assertTrue((ROOT / link).exists(), f"README links to {link}, which does not exist")

    def test_repository_map_names_real_directories(self):
        block = re.search(r"## Repository\n\n```\n(.*?)```", README, re.S).group(1)
        for top in re.findall(r"(?m)^([a-z]+)/", block):
            self.assertTrue((ROOT / top).is_dir(), f"{top}/ is not a directory")
        for name in ("install-deps", "demo", "tfdocs"):
            if name in block:
                self.assertTrue((ROOT / "scripts" / name).exists(), f"scripts/{name} is missing")


if __name__ == "__main__":
    testlib.main()
