"""Static checks of every module and example: `terraform fmt -check` over the
tree, and `terraform init` (offline, from the provider mirror) plus
`terraform validate` of each that no other test plans or applies, in a
temporary copy so the repository stays clean. (A plan begins with the same
validation walk, so a configuration that another program plans or applies is
validated there: each terraform command costs 3-7 CPU seconds.)"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import tflib  # noqa: E402


class Format(unittest.TestCase):
    def test_fmt_check_recursive(self):
        tmp = tflib.TempDir("tf-fmt-")
        self.addCleanup(tmp.cleanup)
        environ = tflib.env(tmp.path)
        for base in (tflib.MODULES, tflib.EXAMPLES):
            proc = tflib.run(["fmt", "-check", "-recursive", "-diff", "-no-color"], base, environ)
            self.assertEqual(proc.returncode, 0, f"terraform fmt found unformatted files under {base}:\n{proc.stdout}")


class Validate(unittest.TestCase):
    """One test per module and example, added below. validate configures no
    provider: one provider process, started after the first init, answers
    every validate's schema and config checks (tflib.SharedProvider)."""

    provider = None

    @classmethod
    def setUpClass(cls):
        tflib.terraform_bin()
        tflib.plugin_dir()

    @classmethod
    def tearDownClass(cls):
        if cls.provider:
            cls.provider.stop()


def _validate_test(config_dir):
    rel = config_dir.relative_to(tflib.ROOT)

    def test(self):
        tmp = tflib.TempDir("tf-validate-")
        self.addCleanup(tmp.cleanup)
        environ = tflib.env(tmp.path)
        copy = tflib.copy_tree(tmp.path / "repo")
        workdir = copy / rel
        tflib.init(workdir, environ)
        if Validate.provider is None:
            Validate.provider = tflib.SharedProvider(workdir, environ)
        proc = tflib.run(["validate", "-no-color"], workdir, Validate.provider.environ(environ))
        self.assertEqual(proc.returncode, 0, f"terraform validate failed for {rel}:\n{proc.stdout}")
        self.assertIn("The configuration is valid", proc.stdout)

    return test


# Configurations another test program plans or applies (terraform validates
# a configuration at the start of every plan: its validate walk), with the
# program that does.
VALIDATED_ELSEWHERE = {
    "modules/ecs-cluster": "tests/terraform/test_ecs_cluster_module.py",  # terraform test: a plan per run
    "modules/ecs-service": "tests/terraform/test_ecs_service_module.py",  # terraform test: a plan per run
    # scripts/demo applies it as it is (the e2e walks apply copies whose
    # provider takes its endpoints from its environment: e2elib.Workspace).
    "examples/local-simulator": "tests/terraform/test_demo.py",
}

for _dir in tflib.config_dirs():
    if str(_dir.relative_to(tflib.ROOT)) in VALIDATED_ELSEWHERE:
        continue
    _name = "test_init_and_validate_" + str(_dir.relative_to(tflib.ROOT)).replace("/", "_").replace("-", "_")
    setattr(Validate, _name, _validate_test(_dir))


class Layout(unittest.TestCase):
    def test_every_module_and_example_was_found(self):
        found = {str(d.relative_to(tflib.ROOT)) for d in tflib.config_dirs()}
        for expected in ("modules/ecs-cluster", "modules/ecs-service",
                         "examples/docker-service-with-elb", "examples/local-simulator"):
            self.assertIn(expected, found)

    def test_configurations_validated_elsewhere_are_planned_or_applied_there(self):
        dirs = {str(d.relative_to(tflib.ROOT)) for d in tflib.config_dirs()}
        for rel, program in VALIDATED_ELSEWHERE.items():
            self.assertIn(rel, dirs)
            text = (tflib.ROOT / program).read_text()
            if rel.startswith("modules/"):
                module = rel.split("/", 1)[1]
                self.assertIn(f'module_test_class("{module}")', text, f"{program} no longer runs terraform test of {rel}")
                self.assertTrue(any((tflib.ROOT / rel / "tests").glob("*.tftest.hcl")), f"{rel} has no terraform test")
            elif "demo_argv(" in text:  # runs scripts/demo, which copies the example as it is and applies it
                self.assertIn(f'EXAMPLE = "{rel.split("/", 1)[1]}"', (tflib.ROOT / "scripts" / "demo").read_text(),
                              f"scripts/demo ({program}) no longer applies {rel}")
            else:
                self.assertIn(f'"{rel.split("/", 1)[0]}" / "{rel.split("/", 1)[1]}"', text,
                              f"{program} no longer applies {rel}")
        # At least one configuration is still validated here.
        self.assertTrue([n for n in dir(Validate) if n.startswith("test_init_and_validate_")])

    def test_modules_follow_the_file_convention(self):
        for module in ("ecs-cluster", "ecs-service"):
            for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
                self.assertTrue((tflib.MODULES / module / name).is_file(), f"modules/{module}/{name} is missing")

    def test_every_variable_is_typed_and_described(self):
        import re
        block = re.compile(r'^variable "([^"]+)" \{\n(.*?)^\}', re.S | re.M)
        for d in tflib.config_dirs():
            for tf in d.glob("*.tf"):
                for m in block.finditer(tf.read_text()):
                    self.assertRegex(m.group(2), r"(?m)^  type\s*=", f"{tf}: variable {m.group(1)} has no type")
                    self.assertRegex(m.group(2), r"(?m)^  description\s*=", f"{tf}: variable {m.group(1)} has no description")


if __name__ == "__main__":
    testlib.main()
