"""scripts/tfdocs against Terraform itself, offline. No terraform command lists
a module's variables with their types and descriptions, so this asks three:

- `terraform graph -type=plan` (after an offline init) has a node for every
  variable and output of the root module: their names must be exactly the
  ones tfdocs found;
- `terraform console` prints `type(var.NAME)`: it must match the type tfdocs
  documents (optional() removed, `any` matching anything), and evaluating
  `var.NAME` without a value tells required variables from the rest;
- `terraform show -json` of a plan that calls the directory as a module
  (required inputs unknown, so nothing is validated or needs a provider) has
  every variable's description, default and sensitivity as Terraform read
  them: the descriptions and flags must be tfdocs', and each default must be
  what Terraform makes of the type and default the README shows (a second
  variable declared from the README's text: strings, escapes, heredocs,
  numbers, lists, objects, optional() defaults).

For every module and example, and for the tricky file of test_tfdocs.py."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "terraform"))
import testlib  # noqa: E402
import tflib  # noqa: E402
from test_tfdocs import TRICKY  # noqa: E402
from tfdocs_load import tfdocs  # noqa: E402


def console(workdir, environ, expression):
    proc = subprocess.run([tflib.terraform_bin(), "console", "-no-color"], cwd=workdir, env=environ,
                          input=expression + "\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"terraform console failed on {expression[:200]!r} in {workdir}:\n"
                             f"{proc.stderr[-3000:]}{proc.stdout[-1000:]}")
    return proc.stdout.strip()


# ---- terraform's type() printout ----

def parse_tf_type(text):
    toks = re.findall(r"[A-Za-z_][\w-]*|[()\[\]{},:]", text)
    pos = 0

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def expect(t):
        got = take()
        if got != t:
            raise ValueError(f"expected {t} in terraform's type {text!r}, got {got}")

    def ty():
        name = take()
        if name in ("string", "number", "bool", "dynamic"):
            return [name]
        if name in ("list", "set", "map"):
            expect("(")
            inner = ty()
            if toks[pos] == ",":  # multi-line printouts end items with a comma
                take()
            expect(")")
            return [name, inner]
        if name == "tuple":
            expect("(")
            expect("[")
            items = []
            while toks[pos] != "]":
                items.append(ty())
                if toks[pos] == ",":
                    take()
            expect("]")
            if toks[pos] == ",":
                take()
            expect(")")
            return ["tuple", items]
        if name == "object":
            expect("(")
            expect("{")
            attrs = {}
            while toks[pos] != "}":
                key = take()
                expect(":")
                attrs[key] = ty()
                if toks[pos] == ",":
                    take()
            expect("}")
            if toks[pos] == ",":
                take()
            expect(")")
            return ["object", attrs]
        raise ValueError(f"unknown type {name} in {text!r}")

    out = ty()
    if pos != len(toks):
        raise ValueError(f"trailing text in terraform's type {text!r}")
    return out


def same_type(ours, theirs):
    """Our type tree (tfdocs) against terraform's: optional() is gone in
    terraform's printout, and `any` stands for whatever the value made it."""
    if ours[0] == "optional":
        return same_type(ours[1], theirs)
    if ours[0] == "any":
        return True
    if ours[0] != theirs[0]:
        return False
    if ours[0] in ("string", "number", "bool"):
        return True
    if ours[0] in ("list", "set", "map"):
        return same_type(ours[1], theirs[1])
    if ours[0] == "tuple":
        return len(ours[1]) == len(theirs[1]) and all(same_type(a, b) for a, b in zip(ours[1], theirs[1]))
    if ours[0] == "object":
        mine = dict((k, t) for k, t in ours[1])
        return mine.keys() == theirs[1].keys() and all(same_type(mine[k], theirs[1][k]) for k in mine)
    return False


class CrossCheck:
    """Runs the three checks on one directory (already copied to a
    temporary place, with whatever it sources next to it)."""

    def __init__(self, test, workdir, environ, model, needs_init):
        self.t = test
        self.workdir = pathlib.Path(workdir)
        self.environ = environ
        self.model = model
        self.needs_init = needs_init

    def names(self):
        if self.needs_init:
            tflib.init(self.workdir, self.environ)
        proc = tflib.run(["graph", "-type=plan"], self.workdir, self.environ)
        self.t.assertEqual(proc.returncode, 0, proc.stdout[-3000:])
        tf_vars = set(re.findall(r'"\[root\] var\.([\w-]+)', proc.stdout))
        tf_outs = set(re.findall(r'"\[root\] output\.([\w-]+)', proc.stdout))
        self.t.assertTrue(tf_vars or tf_outs, f"no var./output. nodes in terraform graph:\n{proc.stdout[:2000]}")
        self.t.assertEqual({v["name"] for v in self.model["variables"]}, tf_vars, "variables")
        self.t.assertEqual({o["name"] for o in self.model["outputs"]}, tf_outs, "outputs")

    def variables_dir(self):
        """A directory with only the files that declare variables, where
        console needs no provider."""
        d = self.workdir.parent / (self.workdir.name + "-console")
        d.mkdir()
        for f in sorted({pathlib.Path(v["file"]).name for v in self.model["variables"]}):
            shutil.copy(self.workdir / f, d / f)
        return d

    def types_and_required(self, d):
        for v in self.model["variables"]:
            printed = console(d, self.environ, f"type(var.{v['name']})")
            theirs = parse_tf_type(printed)
            self.t.assertTrue(same_type(v["type_tree"], theirs),
                              f"variable {v['name']}: tfdocs says {v['type']}, terraform says {printed}")
        if not self.model["variables"]:
            return
        obj = "{ " + ", ".join(f'"{v["name"]}" = var.{v["name"]}' for v in self.model["variables"]) + " }"
        printed = console(d, self.environ, obj)
        unknown = set(re.findall(r'^  "([^"]+)" = \(known after apply\)$', printed, re.M))
        self.t.assertEqual({v["name"] for v in self.model["variables"] if v["required"]}, unknown,
                           f"required variables; terraform printed:\n{printed[:3000]}")

    def declared(self, d):
        """Descriptions, defaults and sensitivity against terraform's plan."""
        check = []
        for v in self.model["variables"]:
            if v["has_default"]:
                check.append(f'variable "tfdocs_check__{v["name"]}" {{\n  type    = {v["type"]}\n'
                             f'  default = {tfdocs.render_value(v["default"])}\n}}\n')
        (d / "zz_tfdocs_check.tf").write_text("".join(check))
        root = d.parent / (d.name + "-plan")
        root.mkdir()
        # timestamp() is unknown until apply, and jsondecode of it fits any type.
        inputs = "".join(f"  {v['name']} = jsondecode(timestamp())\n"
                         for v in self.model["variables"] if v["required"])
        (root / "main.tf").write_text(f'module "m" {{\n  source = "../{d.name}"\n{inputs}}}\n')
        tflib.init(root, self.environ)
        proc = tflib.run(["plan", "-input=false", "-no-color", "-out=tfdocs.tfplan"], root, self.environ)
        self.t.assertEqual(proc.returncode, 0, proc.stdout[-4000:])
        proc = tflib.run(["show", "-json", "tfdocs.tfplan"], root, self.environ)
        self.t.assertEqual(proc.returncode, 0, proc.stdout[-4000:])
        theirs = json.loads(proc.stdout)["configuration"]["root_module"]["module_calls"]["m"]["module"]
        theirs = theirs.get("variables", {})
        names = {v["name"] for v in self.model["variables"]}
        self.t.assertEqual(names | {f"tfdocs_check__{v['name']}" for v in self.model["variables"] if v["has_default"]},
                           set(theirs))
        for v in self.model["variables"]:
            tf = theirs[v["name"]]
            self.t.assertEqual(v["description"], tf.get("description", ""), f"variable {v['name']} description")
            self.t.assertEqual(v["sensitive"], tf.get("sensitive", False), f"variable {v['name']} sensitive")
            self.t.assertEqual(v["has_default"], "default" in tf, f"variable {v['name']} has a default")
            if v["has_default"]:
                self.t.assertEqual(tf["default"], theirs[f"tfdocs_check__{v['name']}"].get("default"),
                                   f"variable {v['name']}: the README's type and default "
                                   f"({v['type']} = {tfdocs.render_value(v['default'])}) are not terraform's")

    def run(self):
        self.names()
        d = self.variables_dir()
        self.types_and_required(d)
        self.declared(d)


class Terraform(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tflib.terraform_bin()
        tflib.plugin_dir()
        cls.tmp = tflib.TempDir("tfdocs-tf-")
        cls.environ = tflib.env(cls.tmp.path)
        cls.repo = tflib.copy_tree(cls.tmp.path / "repo")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_dir(self, rel):
        model = tfdocs.read_dir(testlib.ROOT / rel)
        CrossCheck(self, self.repo / rel, self.environ, model, needs_init=True).run()

    def test_modules_ecs_cluster(self):
        self.check_dir("modules/ecs-cluster")

    def test_modules_ecs_service(self):
        self.check_dir("modules/ecs-service")

    def test_examples_docker_service_with_elb(self):
        self.check_dir("examples/docker-service-with-elb")

    def test_examples_local_simulator(self):
        self.check_dir("examples/local-simulator")

    def test_the_tricky_file(self):
        d = self.tmp.path / "tricky"
        d.mkdir()
        (d / "tricky.tf").write_text(TRICKY)
        model = tfdocs.read_dir(d)
        self.assertGreater(len(model["variables"]), 5)
        CrossCheck(self, d, self.environ, model, needs_init=False).run()

    def test_every_module_and_example_is_checked(self):
        checked = {n[len("test_"):] for n in dir(self) if n.startswith("test_modules_") or n.startswith("test_examples_")}
        found = {str(d.relative_to(testlib.ROOT)).replace("/", "_").replace("-", "_") for d in tflib.config_dirs()}
        self.assertEqual(checked, found)


if __name__ == "__main__":
    testlib.main()
