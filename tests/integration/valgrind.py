"""The integration tests with the helper under valgrind (memcheck) instead of
AddressSanitizer: the normal build (helper/ecs-rollout) runs through a small
wrapper that execs valgrind with

    --leak-check=full --errors-for-leak-kinds=definite,indirect
    --error-exitcode=99 --suppressions=tests/integration/valgrind.supp

so any invalid access, use of uninitialised memory, or block definitely or
indirectly lost makes the helper exit 99 and the test that ran it fail; every
run's log is kept and checked again afterwards (a run killed on purpose with
SIGKILL leaves a log without a summary, which is fine).

    make valgrind                         # the rollout tests below, every test
    python3 tests/integration/valgrind.py -k test_rollout_resume   # some of them

`make test` runs test_valgrind.py, a short representative part."""
import argparse
import os
import pathlib
import re
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SUPPRESSIONS = HERE / "valgrind.supp"
# The integration tests that make up `make valgrind` (the 1,000-instance one
# would take hours under valgrind; it runs under ASan in `make test`).
SUITE = ["test_rollout_basic", "test_rollout_cases", "test_rollout_resume", "test_rollout_races"]
ERROR_EXIT = 99


def helper_path():
    p = os.environ.get("ECS_ROLLOUT_BIN") or str(ROOT / "helper" / "ecs-rollout")
    if not os.path.exists(p):
        raise AssertionError(f"{p} is missing: run `make` first (valgrind runs the normal build)")
    return p


def make_wrapper(log_dir):
    """An executable that runs the normal helper under memcheck; returns its path."""
    vg = shutil.which("valgrind")
    if not vg:
        raise AssertionError("valgrind is not installed (apt-get install valgrind)")
    log_dir = pathlib.Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    wrapper = log_dir / "ecs-rollout-under-valgrind"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'exec "{vg}" --tool=memcheck --quiet --leak-check=full --show-leak-kinds=definite,indirect '
        f"--errors-for-leak-kinds=definite,indirect --error-exitcode={ERROR_EXIT} "
        f'--suppressions="{SUPPRESSIONS}" --log-file="{log_dir}/vg.%p.log" '
        f'"{helper_path()}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(wrapper)


ERROR_LINE = re.compile(r"==\d+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|"
                        r"Syscall param|Mismatched free|Source and destination overlap|"
                        r"\d[\d,]* bytes in \d[\d,]* blocks are (definitely|indirectly) lost)")


def check_logs(log_dir):
    """(runs, problems): how many helper runs left a log, and every error found."""
    logs = sorted(pathlib.Path(log_dir).glob("vg.*.log"))
    problems = []
    for log in logs:
        text = log.read_text(errors="replace")
        for line in text.splitlines():
            if ERROR_LINE.search(line):
                problems.append(f"{log.name}: {line}")
        m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        if m and int(m.group(1)) != 0:
            problems.append(f"{log.name}: ERROR SUMMARY: {m.group(1)} errors")
    return len(logs), problems


def run_tests(names, log_dir):
    """Runs integration test programs with the helper under valgrind: names
    is a list of programs, or a dict of program -> the tests to run in it.
    Returns their exit codes."""
    if not isinstance(names, dict):
        names = {n: [] for n in names}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(REPO_ROOT=str(ROOT), ECS_ROLLOUT_ASAN_BIN=make_wrapper(log_dir),
               ECS_ROLLOUT_BIN=helper_path(), PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join([str(ROOT / "tests" / "lib"), str(ROOT / "tests"), str(HERE)]),
               AWS_CONFIG_FILE="/nonexistent/aws-config", AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
               AWS_EC2_METADATA_DISABLED="true")
    codes = {}
    for name, only in names.items():
        args = [sys.executable, str(HERE / f"{name}.py"), *only]
        p = subprocess.run(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in p.stdout.splitlines():
            if line.startswith(("PASS ", "FAIL ", "SKIP ")):
                kind, _, rest = line.partition(" ")
                print(f"{kind} valgrind/{rest}", flush=True)
        if p.returncode != 0:
            print(p.stdout[-6000:], flush=True)
        codes[name] = p.returncode
    return codes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", action="append", default=[], help="run only test programs whose name contains this")
    ap.add_argument("--keep", metavar="DIR", help="keep the valgrind logs in DIR")
    a = ap.parse_args()
    names = [n for n in SUITE if not a.k or any(k in n for k in a.k)]
    log_dir = a.keep or tempfile.mkdtemp(prefix="ecs-rollout-valgrind-")
    codes = run_tests(names, log_dir)
    runs, problems = check_logs(log_dir)
    for p in problems:
        print(f"FAIL valgrind: {p}")
    failed = [n for n, c in codes.items() if c != 0]
    print(f"valgrind: {runs} helper runs under memcheck in {len(names)} test programs; "
          f"{len(problems)} problems; failing programs: {failed or 'none'}; logs in {log_dir}")
    if not a.keep and not problems and not failed:
        shutil.rmtree(log_dir, ignore_errors=True)
    return 1 if problems or failed else 0


if __name__ == "__main__":
    sys.exit(main())
