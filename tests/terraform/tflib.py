"""Shared pieces of the Terraform tests: finding terraform and the provider
mirror (failing loudly when either is missing), running terraform offline in
temporary copies so the repository stays clean, and reading `terraform test`
files and results."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import unittest

import stack
import testlib
from tfprovider import SharedProvider, endpoints_to_environment  # noqa: F401 (e2elib's)

ROOT = testlib.ROOT
MODULES = ROOT / "modules"
EXAMPLES = ROOT / "examples"
TIMEOUT = int(os.environ.get("TF_TEST_TIMEOUT", "900"))

class MissingTool(RuntimeError):
    pass


def terraform_bin():
    path = shutil.which("terraform")
    if not path:
        raise MissingTool("terraform is not on PATH: install Terraform >= 1.9 to run the Terraform tests")
    return path


def plugin_dir():
    """The provider mirror: TF_PLUGIN_DIR (tests/run sets it), else the one
    the CLI configuration or an implied mirror directory holds (stack.py)."""
    try:
        return stack.plugin_dir()
    except AssertionError as e:
        raise MissingTool(str(e)) from None


def config_dirs():
    """Every module and example: directories of modules/ and examples/ with .tf files."""
    dirs = []
    for base in (MODULES, EXAMPLES):
        for d in sorted(p for p in base.iterdir() if p.is_dir()):
            if any(d.glob("*.tf")):
                dirs.append(d)
    return dirs


def env(workdir):
    """terraform's environment: no user CLI config, no checkpoint calls, no prompts."""
    e = dict(os.environ)
    rc = pathlib.Path(workdir, "terraformrc")
    rc.write_text("")
    e["TF_CLI_CONFIG_FILE"] = str(rc)
    e["CHECKPOINT_DISABLE"] = "1"
    e["TF_IN_AUTOMATION"] = "1"
    e["TF_INPUT"] = "0"
    for var in ("TF_DATA_DIR", "TF_PLUGIN_CACHE_DIR", "TF_LOG", "TF_WORKSPACE"):
        e.pop(var, None)
    return e


def copy_tree(dest):
    """Copies modules/ and examples/ (the layout examples rely on) into dest,
    without local state or init data."""
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "terraform.tfstate*", "*.tfplan")
    for base in (MODULES, EXAMPLES):
        shutil.copytree(base, pathlib.Path(dest, base.name), ignore=ignore, symlinks=True)
    return pathlib.Path(dest)


def run(args, cwd, environ, timeout=TIMEOUT):
    return subprocess.run([terraform_bin()] + list(args), cwd=cwd, env=environ,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)


def init(cwd, environ):
    proc = run(["init", "-backend=false", "-input=false", "-no-color", f"-plugin-dir={plugin_dir()}"], cwd, environ)
    if proc.returncode != 0:
        raise AssertionError(f"terraform init failed in {cwd}:\n{proc.stdout[-4000:]}")
    return proc


def git(args, cwd):
    """Runs git with a fixed identity and no user or system configuration;
    returns its output."""
    e = dict(os.environ, GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.invalid",
             GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.invalid",
             GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    proc = subprocess.run(["git"] + list(args), cwd=cwd, env=e, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}")
    return proc.stdout


def git_snapshot(repo):
    """A git repository at `repo` holding this working tree's modules/ and
    helper/ (without build output or Terraform state), committed once;
    returns the commit. Raises MissingTool without git."""
    if not shutil.which("git"):
        raise MissingTool("git is not on PATH")
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "terraform.tfstate*",
                                    "build", "build-*", "ecs-rollout", "*.o", "*.d")
    shutil.copytree(MODULES, repo / "modules", ignore=ignore)
    shutil.copytree(ROOT / "helper", repo / "helper", ignore=ignore)
    git(["init", "-q"], repo)
    git(["add", "-A"], repo)
    git(["commit", "-q", "-m", "snapshot"], repo)
    return git(["rev-parse", "HEAD"], repo).strip()


class TempDir:
    """A temporary directory removed at exit unless KEEP_TEST_DIRS is set."""

    def __init__(self, prefix):
        self.path = pathlib.Path(tempfile.mkdtemp(prefix=prefix))

    def cleanup(self):
        if not os.environ.get("KEEP_TEST_DIRS"):
            shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------------------
# terraform test files and results
# ---------------------------------------------------------------------------

RUN_RE = re.compile(r'^run "([^"]+)" \{\n(.*?)^\}\n', re.S | re.M)


class RunBlock:
    def __init__(self, file, name, body):
        self.file = file
        self.name = name
        self.body = body
        m = re.search(r"^\s*# error: (.+)$", body, re.M)
        self.expected_error = m.group(1).strip() if m else None
        self.expects_failures = re.search(r"^\s*expect_failures\s*=", body, re.M) is not None

    def text(self, without_expect_failures=False):
        body = self.body
        if without_expect_failures:
            body = re.sub(r"^\s*expect_failures\s*=.*\n", "", body, flags=re.M)
        return f'run "{self.name}" {{\n{body}}}\n'


def parse_test_file(path):
    """(header, [RunBlock]) of a .tftest.hcl file written in terraform fmt's
    layout: run blocks start and end at column 0."""
    text = pathlib.Path(path).read_text()
    first = RUN_RE.search(text)
    header = text[: first.start()] if first else text
    runs = [RunBlock(pathlib.Path(path).name, m.group(1), m.group(2)) for m in RUN_RE.finditer(text)]
    return header, runs


def run_terraform_test(cwd, environ, filters=()):
    """Runs `terraform test -json` and returns ({(file, run): status},
    {(file, run): [diagnostic text]}, raw output)."""
    args = ["test", "-json", "-no-color"] + [f"-filter={f}" for f in filters]
    proc = run(args, cwd, environ)
    statuses, diags = {}, {}
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("type") == "test_run":
            tr = msg["test_run"]
            if tr.get("progress") == "complete":
                statuses[(pathlib.Path(tr["path"]).name, tr["run"])] = tr.get("status")
        elif msg.get("type") == "diagnostic" and "@testrun" in msg:
            d = msg.get("diagnostic", {})
            key = (pathlib.Path(msg.get("@testfile", "")).name, msg["@testrun"])
            diags.setdefault(key, []).append(f"{d.get('summary', '')}: {d.get('detail', '')}")
    return statuses, diags, proc.stdout


def _identifier(text):
    return re.sub(r"[^0-9A-Za-z_]", "_", text)


def module_test_class(module):
    """A TestCase with one test per run block of modules/MODULE/tests/*.tftest.hcl
    (it must pass), and one per run carrying an "# error: TEXT" line (a copy of
    it without expect_failures, alone in its file, must fail with TEXT in its
    diagnostics). Both terraform test invocations happen once, in setUpClass,
    in a temporary copy of the repository."""
    module_dir = MODULES / module
    files = sorted((module_dir / "tests").glob("*.tftest.hcl"))
    parsed = {f.name: parse_test_file(f) for f in files}

    class ModuleTests(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            terraform_bin()
            plugin_dir()
            cls.tmp = TempDir(f"tf-test-{module}-")
            cls.provider = None
            try:
                cls._run_tests()
            except BaseException:
                cls.tearDownClass()
                raise

        @classmethod
        def _run_tests(cls):
            cls.environ = env(cls.tmp.path)
            cls.record_path = cls.tmp.path / "rollout-records.jsonl"
            cls.environ["FAKE_ECS_ROLLOUT_RECORD"] = str(cls.record_path)
            cls.workdir = copy_tree(cls.tmp.path / "repo") / "modules" / module
            init(cls.workdir, cls.environ)
            # Every test file mocks the AWS provider: one provider process
            # serves both invocations' schemas.
            cls.provider = SharedProvider(cls.workdir, cls.environ)
            cls.environ = cls.provider.environ(cls.environ)
            cls.statuses, cls.diags, cls.output = run_terraform_test(
                cls.workdir, cls.environ, [f"tests/{f.name}" for f in files])

            generated = []
            for fname, (header, runs) in parsed.items():
                for r in runs:
                    if r.expected_error:
                        gname = f"zz_message_{_identifier(fname.split('.')[0])}_{_identifier(r.name)}.tftest.hcl"
                        (cls.workdir / "tests" / gname).write_text(header + r.text(without_expect_failures=True))
                        generated.append((fname, r.name, gname))
            cls.generated = {(f, r): g for f, r, g in generated}
            cls.msg_statuses, cls.msg_diags, cls.msg_output = ({}, {}, "")
            if generated:
                cls.msg_statuses, cls.msg_diags, cls.msg_output = run_terraform_test(
                    cls.workdir, cls.environ, [f"tests/{g}" for _, _, g in generated])

        @classmethod
        def tearDownClass(cls):
            if cls.provider:
                cls.provider.stop()
            cls.tmp.cleanup()

        def test_every_expected_failure_names_its_message(self):
            for fname, (_, runs) in parsed.items():
                for r in runs:
                    if r.expects_failures:
                        self.assertIsNotNone(r.expected_error, f"{fname}: run {r.name} has expect_failures but no '# error:' line")

    def run_test(fname, run_name):
        def test(self):
            status = self.statuses.get((fname, run_name))
            if status != "pass":
                diags = "\n".join(self.diags.get((fname, run_name), [])) or self.output[-3000:]
                self.fail(f"run {run_name} of {fname}: {status or 'did not run'}\n{diags}")
        return test

    def message_test(fname, run_name, expected):
        def test(self):
            g = self.generated[(fname, run_name)]
            status = self.msg_statuses.get((g, run_name))
            diags = self.msg_diags.get((g, run_name), [])
            self.assertIn(status, ("error", "fail"),
                          f"run {run_name} of {fname} without expect_failures should fail, got {status}")
            flat = [" ".join(d.split()) for d in diags]
            self.assertTrue(any(expected in d for d in flat),
                            f"run {run_name} of {fname} failed without the message {expected!r}; got:\n" + "\n".join(flat))
        return test

    for fname, (_, runs) in parsed.items():
        stem = _identifier(fname.split(".")[0])
        for r in runs:
            setattr(ModuleTests, f"test_{stem}__{_identifier(r.name)}", run_test(fname, r.name))
            if r.expected_error:
                setattr(ModuleTests, f"test_{stem}__{_identifier(r.name)}__message",
                        message_test(fname, r.name, r.expected_error))
    ModuleTests.__name__ = ModuleTests.__qualname__ = _identifier(module).title().replace("_", "") + "Tests"
    return ModuleTests
