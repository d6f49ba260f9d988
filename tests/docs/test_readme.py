"""The top-level README against the repository it describes: every `make`
target it names exists, every option and subcommand it names is one the
helper's --help shows, its exit-code table is the helper's, its IAM action
list is the policy the module outputs, every relative link resolves, and its
credentials tables name every credential source of the default chain, every
environment variable the credential code reads, and for each row tests that
exist. A README that drifts from the code fails here."""
# tier: quick  (make check: a few seconds)
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


def credentials_section():
    return re.search(r"## Credentials\n(.*?)\n## ", README, re.S).group(1)


def table_rows(text, first_header):
    """The rows (lists of cells) of the Markdown table whose header starts
    with `first_header`."""
    m = re.search(rf"(?m)^\| {re.escape(first_header)} \|.*\n\|[-| ]+\|\n((?:\|.*\|\n?)+)", text)
    if not m:
        raise AssertionError(f"no table headed '{first_header}' in the Credentials section")
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in m.group(1).splitlines()]


def test_exists(ref):
    """Whether `program/name` names a test: TEST(name) in tests/c/program.c,
    or a method (Class.test_x) or function of tests/**/program.py."""
    program, _, name = ref.partition("/")
    c_file = ROOT / "tests" / "c" / f"{program}.c"
    if c_file.exists():
        return re.search(rf"(?m)^TEST\({re.escape(name)}\)", c_file.read_text()) is not None
    for py in (ROOT / "tests").rglob(f"{program}.py"):
        cls, _, method = name.rpartition(".")
        text = py.read_text()
        if re.search(rf"(?m)^\s*def {re.escape(method)}\(", text) and (
                not cls or re.search(rf"(?m)^class {re.escape(cls)}\b", text)):
            return True
    return False


class Readme(unittest.TestCase):
    def test_make_targets_exist(self):
        named = set(re.findall(r"`make ([a-z][a-z0-9-]*)", README))
        self.assertIn("demo", named)
        self.assertIn("test", named)
        self.assertEqual(named - makefile_targets(), set(), "README names make targets the Makefile lacks")

    def test_options_exist(self):
        help_text = helper_help()
        offered = set(re.findall(r"(--[a-z][a-z-]+)", help_text))
        # Options of other tools the README quotes (terraform output -raw,
        # tests/run --quick, the benchmark's --throttle, --groups and --trace).
        foreign = {"--raw", "--quick", "--throttle", "--groups", "--trace"}
        self.assertIn('"--quick"', (ROOT / "tests" / "run").read_text())
        bench = (ROOT / "tests" / "bench" / "rollout_bench.py").read_text()
        self.assertIn('"--throttle"', bench)
        self.assertIn('"--groups"', bench)
        self.assertIn('"--trace"', bench)
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
        policy = set(re.findall(r'"((?:autoscaling|ecs|ec2|cloudwatch):[A-Z][A-Za-z]+)"', iam[start:]))
        section = re.search(r"## IAM policy\n(.*?)\n## ", README, re.S).group(1)
        named = set()
        for service, actions in re.findall(r"`(autoscaling|ecs|ec2|cloudwatch):` ([A-Za-z, ]+?)(?:;|\. |\n\n| and nothing)",
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

    def test_architecture_names_real_files(self):
        section = re.search(r"### Architecture.*?\n(.*?)\n## ", README, re.S).group(1)
        paths = re.findall(r"`((?:helper|tests)/[\w./-]+)`", section)
        self.assertGreater(len(paths), 10)
        for path in paths:
            self.assertTrue((ROOT / path).exists(), f"the architecture section names {path}")
        rollout = ROOT / "helper" / "src" / "rollout"
        for source in sorted(rollout.glob("*.c")):
            self.assertIn(f"helper/src/rollout/{source.name}", paths,
                          f"the architecture section does not say what {source.name} holds")

    def test_repository_map_names_real_directories(self):
        block = re.search(r"## Repository\n\n```\n(.*?)```", README, re.S).group(1)
        for top in re.findall(r"(?m)^([a-z]+)/", block):
            self.assertTrue((ROOT / top).is_dir(), f"{top}/ is not a directory")
        for name in ("install-deps", "demo", "tfdocs"):
            if name in block:
                self.assertTrue((ROOT / "scripts" / name).exists(), f"scripts/{name} is missing")


class CredentialsTables(unittest.TestCase):
    CREDS = ROOT / "helper" / "src" / "aws" / "creds"

    def test_every_source_of_the_default_chain_has_a_row(self):
        chain = (self.CREDS / "chain.c").read_text()
        body = chain[chain.index("cred_default_chain_new(const"):]
        made = set(re.findall(r"\b(cred_[a-z_]+_new)\(", body))
        made -= {"cred_chain_new", "cred_cache_new", "cred_default_chain_new"}
        self.assertGreaterEqual(len(made), 8, "no provider found in chain.c")
        rows = table_rows(credentials_section(), "#")
        row_of = {f: i for i, row in enumerate(rows) for f in re.findall(r"`creds/([a-z_]+\.c)`", row[3])}
        order = []
        for fn in sorted(made, key=body.index):
            files = [p.name for p in self.CREDS.glob("*.c")
                     if re.search(rf"(?m)^struct cred_provider \*{fn}\(", p.read_text())]
            self.assertEqual(len(files), 1, f"{fn} is defined in {files}")
            self.assertIn(files[0], row_of, f"the credentials table has no row for {files[0]} ({fn})")
            order.append(row_of[files[0]])
        self.assertEqual(order, sorted(order), "the table's rows are not in the chain's order")
        self.assertEqual([int(r[0]) for r in rows], list(range(1, len(rows) + 1)))

    def test_every_variable_the_credential_code_reads_is_in_a_table(self):
        sources = list(self.CREDS.glob("*.c")) + [ROOT / "helper" / "src" / "aws" / "config.c"]
        names = set()
        for p in sources:
            names |= set(re.findall(r'"((?:AWS|ECS_ROLLOUT)_[A-Z0-9_]+)"', p.read_text()))
        self.assertIn("AWS_DEFAULT_PROFILE", names)
        self.assertIn("AWS_ENDPOINT_URL_SSO", names)
        spans = " ".join(re.findall(r"`([^`]*)`", credentials_section()))
        missing = sorted(n for n in names if not re.search(rf"\b{n}\b", spans))
        self.assertEqual(missing, [], "environment variables the credential code reads but the README's "
                                      "Credentials section does not name")

    def test_every_row_names_tests_that_exist(self):
        section = credentials_section()
        rows = table_rows(section, "#") + table_rows(section, "Setting")
        self.assertGreaterEqual(len(rows), 11)
        for row in rows:
            refs = re.findall(r"`(test_[a-z0-9_]+/[A-Za-z0-9_.]+)`", row[-1])
            self.assertTrue(refs, f"row {row[:2]} names no test")
            for ref in refs:
                self.assertTrue(test_exists(ref), f"row {row[:2]} names {ref}, which is no test")


if __name__ == "__main__":
    testlib.main()
