"""tests/lib/stack.py, the check of the pinned test stack: it reads the pins,
names a missing or different Python package with the pip command, finds the
Terraform provider as Terraform does (TF_PLUGIN_DIR, the CLI configuration's
filesystem_mirror, the implied local mirrors, in the packed and unpacked
layouts) and, when none holds it, says where it looked and what to do. The
machine running the tests has the pinned Python packages (else `make test`
stops first)."""
# tier: quick  (make check: a few seconds)
import contextlib
import io
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import stack
import testlib

PLAT = stack.platform_name()


def unpacked(root, version):
    d = pathlib.Path(root, "registry.terraform.io", "hashicorp", "aws", version, PLAT)
    d.mkdir(parents=True)
    (d / f"terraform-provider-aws_v{version}_x5").write_text("")
    return str(root)


def packed(root, version):
    d = pathlib.Path(root, "registry.terraform.io", "hashicorp", "aws")
    d.mkdir(parents=True, exist_ok=True)
    (d / f"terraform-provider-aws_{version}_{PLAT}.zip").write_text("")
    return str(root)


class Pins(unittest.TestCase):
    def test_requirements_pin_exact_versions_and_the_tools(self):
        packages, tools = stack.read_pins()
        for name in ("moto", "boto3", "botocore", "Werkzeug", "Flask", "flask-cors", "requests"):
            self.assertIn(name, packages)
        self.assertEqual(set(tools), {"python", "terraform", stack.PROVIDER})
        self.assertEqual(tools["terraform"][0], "==")
        self.assertEqual(tools[stack.PROVIDER][0], "==")

    def test_this_machine_has_the_pinned_python_packages(self):
        # (terraform and the provider: tests/terraform/test_pinned_tools.py)
        self.assertEqual(stack.check_python(stack.read_pins()), [])

    def test_a_missing_or_different_package_is_named_with_the_fix(self):
        pins = ({"moto": "0.0.1", "no-such-package-xyz": "1.0"}, {"python": (">=", "99.0")})
        problems = stack.check_python(pins)
        self.assertIn(f"python {sys.version.split()[0]} runs the tests; they need python >= 99.0", problems)
        self.assertTrue(any(p.startswith("Python package moto is ") and p.endswith("pinned 0.0.1") for p in problems))
        self.assertIn("Python package no-such-package-xyz is not installed (pinned: no-such-package-xyz==1.0)",
                      problems)
        out = io.StringIO()
        stack.report(problems, out)
        self.assertIn("pip install -r tests/requirements.txt", out.getvalue())

    def test_a_bad_line_is_refused(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("moto>=5\n")
            f.flush()
            with self.assertRaisesRegex(ValueError, "is not 'name==version'"):
                stack.read_pins(f.name)


class ProviderMirror(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.base = pathlib.Path(self.tmp.name)
        self.home = self.base / "home"
        self.home.mkdir()
        self.env = {"HOME": str(self.home), "XDG_DATA_HOME": "", "XDG_DATA_DIRS": str(self.base / "share")}
        for k in ("TF_PLUGIN_DIR", "TF_CLI_CONFIG_FILE"):
            self.env[k] = ""
        self.patch = mock.patch.dict(os.environ, self.env)
        self.patch.start()
        for k in ("TF_PLUGIN_DIR", "TF_CLI_CONFIG_FILE", "XDG_DATA_HOME"):
            del os.environ[k]
        # The machine's own /opt etc. would answer the last-resort search.
        self.roots = self.base / "roots"
        self.roots.mkdir()
        self.search = mock.patch.object(stack, "SEARCH_ROOTS", (str(self.roots),))
        self.search.start()

    def tearDown(self):
        self.search.stop()
        self.patch.stop()
        self.tmp.cleanup()

    def test_a_mirror_nothing_names_is_found_last_under_the_search_roots(self):
        loose = unpacked(self.roots / "tf-plugins", "5.100.0")
        mirror, _, notes = stack.find_provider_mirror("5.100.0")
        self.assertEqual(mirror, loose)
        self.assertTrue(any("nothing names it" in n for n in notes), notes)
        self.assertEqual(stack.check_terraform(({}, {stack.PROVIDER: ("==", "5.100.0")})), [])
        home = unpacked(self.home / ".terraform.d" / "plugins", "5.100.0")
        self.assertEqual(stack.find_provider_mirror("5.100.0")[0], home)

    def test_tf_plugin_dir_comes_first(self):
        mirror = unpacked(self.base / "m", "5.100.0")
        unpacked(self.home / ".terraform.d" / "plugins", "5.100.0")
        os.environ["TF_PLUGIN_DIR"] = mirror
        self.assertEqual(stack.find_provider_mirror("5.100.0")[0], mirror)

    def test_cli_configuration_filesystem_mirror_packed(self):
        mirror = packed(self.base / "packed", "5.100.0")
        rc = self.base / "cli.tfrc"
        rc.write_text('# comment\nprovider_installation {\n  filesystem_mirror {\n'
                      f'    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }}\n'
                      '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n')
        os.environ["TF_CLI_CONFIG_FILE"] = str(rc)
        unpacked(self.home / ".terraform.d" / "plugins", "5.100.0")  # not used: explicit config
        self.assertEqual(stack.find_provider_mirror("5.100.0")[0], mirror)
        (self.home / ".terraformrc").write_text(rc.read_text())
        del os.environ["TF_CLI_CONFIG_FILE"]
        self.assertEqual(stack.find_provider_mirror("5.100.0")[0], mirror)

    def test_implied_mirrors_home_then_xdg_data_dirs(self):
        shared = unpacked(self.base / "share" / "terraform" / "plugins", "5.100.0")
        self.assertEqual(stack.find_provider_mirror("5.100.0")[0], shared)
        home = unpacked(self.home / ".terraform.d" / "plugins", "5.100.0")
        self.assertEqual(stack.find_provider_mirror("5.100.0")[0], home)

    def test_none_found_says_where_it_looked_and_what_to_do(self):
        unpacked(self.home / ".terraform.d" / "plugins", "5.1.0")
        os.environ["TF_CLI_CONFIG_FILE"] = str(self.base / "missing.tfrc")
        problems = stack.check_terraform(({}, {stack.PROVIDER: ("==", "5.100.0")}))
        self.assertEqual(len(problems), 1)
        msg = problems[0]
        self.assertIn(f"no filesystem mirror holds the Terraform provider {stack.PROVIDER} 5.100.0", msg)
        self.assertIn(f"found only 5.1.0 in {self.home}/.terraform.d/plugins", msg)
        self.assertIn("TF_PLUGIN_DIR (not set)", msg)
        self.assertIn(f"{self.base}/missing.tfrc (TF_CLI_CONFIG_FILE): does not exist", msg)
        self.assertIn("export TF_PLUGIN_DIR=/path/to/mirror", msg)
        self.assertIn("filesystem_mirror", msg)
        with self.assertRaises(AssertionError):
            stack.plugin_dir()

    def test_the_command_stops_make_test_unless_told_to_warn(self):
        env = {k: v for k, v in os.environ.items() if k != "TF_PLUGIN_DIR"}
        env["TF_CLI_CONFIG_FILE"] = str(self.base / "missing.tfrc")
        env["PATH"] = os.environ.get("PATH", "")
        script = str(testlib.ROOT / "tests" / "lib" / "stack.py")
        # A PATH without terraform, and no mirror.
        env["PATH"] = str(self.base)
        p = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("terraform is not on PATH (pinned: terraform", p.stderr)
        self.assertIn("STACK_CHECK=warn", p.stderr)
        env["STACK_CHECK"] = "warn"
        p = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("terraform is not on PATH", p.stderr)


if __name__ == "__main__":
    testlib.main()
