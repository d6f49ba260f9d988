#!/usr/bin/env python3
"""Builds and runs the libFuzzer targets (tests/fuzz/fuzz_*.c).

  fuzz_runner.py --seconds 60 [-k NAME]   `make fuzz`: each target fuzzes for
                                          that long, keeping what it learns in
                                          helper/build-fuzz/corpus/<target>/
  fuzz_runner.py --smoke                  `make test` (tests/fuzz/test-fuzz-smoke):
                                          every committed corpus file once,
                                          then a few seconds of fuzzing each

Targets build with clang (-fsanitize=fuzzer,address,undefined) into
helper/build-fuzz at -O1 (`make fuzz`: executions per second), or for the
smoke run into helper/build-fuzz-smoke at -O0 with one copy of the library
(half the ~60 CPU seconds of clang; the same targets, checks and sanitizers;
two seconds of fuzzing need no speed). Seeds: tests/fuzz/corpus/<target>/ (committed), plus for
fuzz_sigv4 the request.txt files of the SigV4 test suite, copied at run time
into a scratch folder (never into the repository). A crash, leak, sanitizer
report, hang or failed property keeps its input under
helper/build-fuzz[-smoke]/artifacts/<target>/; add it to the target's corpus once
fixed, so every later run replays it.
"""
import argparse
import base64
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUZZ_DIR = ROOT / "tests" / "fuzz"
CORPUS = FUZZ_DIR / "corpus"
BUILD = ROOT / "helper" / "build-fuzz"
SMOKE_BUILD = ROOT / "helper" / "build-fuzz-smoke"
CLANG = os.environ.get("FUZZ_CC", "clang")


def fail_setup(msg):
    print(f"FAIL fuzz/setup: {msg}", flush=True)
    sys.exit(1)


def check_toolchain():
    """clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev)."""
    if not shutil.which(CLANG):
        fail_setup(f"{CLANG} not found: install clang and libclang-rt-14-dev "
                   "(scripts/install-deps test)")
    with tempfile.TemporaryDirectory() as d:
        src = pathlib.Path(d, "probe.c")
        src.write_text("#include <stddef.h>\n#include <stdint.h>\n"
                       "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
                       "{ (void)d; (void)n; return 0; }\n")
        r = subprocess.run([CLANG, "-fsanitize=fuzzer,address,undefined", str(src), "-o",
                            str(pathlib.Path(d, "probe"))], capture_output=True, text=True)
        if r.returncode != 0:
            fail_setup(f"{CLANG} cannot link a libFuzzer program (install libclang-rt-14-dev): "
                       + r.stderr.strip().replace("\n", " | ")[:400])


def build(smoke):
    """The targets into BUILD, or for the smoke run into SMOKE_BUILD: -O0
    compiles in half the time of -O1, and fuzz_rollout links the one library
    rather than a second copy without comparison tracing (FUZZ_NOCMP=0), the
    tracing costing only speed, which two seconds of fuzzing do not need.
    Returns the folder."""
    jobs = os.environ.get("FUZZ_JOBS", "2")
    flags = [f"BUILD={SMOKE_BUILD.name}", "CFLAGS=-O0 -g", "FUZZ_NOCMP=0"] if smoke else \
        [f"BUILD={BUILD.name}", "CFLAGS=-O1 -g"]
    r = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT / "helper"), f"-j{jobs}",
                        f"CC={CLANG}", "FUZZ=1", *flags, "fuzzers"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print(r.stdout[-6000:])
        fail_setup("building the fuzz targets failed (output above)")
    return SMOKE_BUILD if smoke else BUILD


def targets(only):
    names = sorted(p.stem for p in FUZZ_DIR.glob("fuzz_*.c"))
    if only:
        names = [n for n in names if any(k in n for k in only)]
    return names


SIGNING_SUITE = ROOT / "tests" / "vectors" / "aws-signing-test-suite" / "v4"


def runtime_seeds(target, scratch):
    """Seed folders read at run time from elsewhere in the repository: the
    service parsers' unit-test fixtures, the SigV4 suite's requests."""
    if target in ("fuzz_svc_xml", "fuzz_svc_json"):
        return [ROOT / "tests" / "c" / "fixtures" / "svc"]
    if target != "fuzz_sigv4":
        return []
    if not SIGNING_SUITE.is_dir():
        fail_setup(f"{SIGNING_SUITE} is missing: the SigV4 suite is part of the repository")
    d = pathlib.Path(scratch, "sigv4-suite")
    d.mkdir(exist_ok=True)
    for case in sorted(SIGNING_SUITE.iterdir()):
        req = case / "request.txt"
        if req.is_file():
            shutil.copyfile(req, d / case.name)
    return [d]


def corpus_of(target):
    return CORPUS / target[len("fuzz_"):]


def libfuzzer(binary, args, artifacts, timeout):
    artifacts.mkdir(parents=True, exist_ok=True)
    cmd = [str(binary), f"-artifact_prefix={artifacts}/", "-print_final_stats=1", "-timeout=20",
           "-rss_limit_mb=2048"] + args
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        out, rc = r.stdout.decode("utf-8", "replace"), r.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode("utf-8", "replace"), None
    m = re.findall(r"stat::number_of_executed_units:\s*(\d+)", out)
    execs = int(m[-1]) if m else 0
    return rc, execs, out


def why_failed(rc, out, artifacts):
    lines = [l for l in out.splitlines()
             if re.search(r"property failed|ERROR|SUMMARY: |runtime error|Test unit written|fatal error|Tracer caught|deadly signal", l)]
    what = " | ".join(lines[:4]) or (f"exit status {rc}" if rc is not None else "timed out")
    return f"{what[:600]} (artifacts: {artifacts})"


def run_corpus(target, binary, artifacts):
    files = sorted(p for p in corpus_of(target).glob("*") if p.is_file())
    if not files:
        return f"FAIL {target}/corpus: no seeds in {corpus_of(target)}", ""
    rc, _, out = libfuzzer(binary, [str(f) for f in files], artifacts, timeout=300)
    if rc != 0:
        return f"FAIL {target}/corpus: {why_failed(rc, out, artifacts)}", out
    return f"PASS {target}/corpus ({len(files)} inputs)", out


# libFuzzer flags of one target. fuzz_rollout reads 12 bytes of header and one
# per service call of its first run (at most ~280): longer inputs only give
# the mutator bytes that change nothing.
TARGET_FLAGS = {"fuzz_rollout": ["-max_len=400"]}


def run_fuzz(target, binary, seconds, work, scratch, artifacts):
    seeds = [corpus_of(target)] + runtime_seeds(target, scratch)
    work.mkdir(parents=True, exist_ok=True)
    rc, execs, out = libfuzzer(binary, [f"-max_total_time={seconds}", str(work)] +
                               TARGET_FLAGS.get(target, []) +
                               [str(s) for s in seeds if s.is_dir()], artifacts,
                               timeout=seconds * 3 + 120)
    if rc != 0:
        return f"FAIL {target}/fuzz: {why_failed(rc, out, artifacts)}", execs, out
    return f"PASS {target}/fuzz ({execs} executions in {seconds} s)", execs, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "60")))
    ap.add_argument("-k", action="append", default=[])
    ap.add_argument("-v", action="store_true", help="print libFuzzer's output")
    args = ap.parse_args()
    check_toolchain()
    build_dir = build(args.smoke)
    names = targets(args.k)
    if not names:
        fail_setup("no fuzz targets found")
    seconds = int(os.environ.get("FUZZ_SMOKE_SECONDS", "2")) if args.smoke else args.seconds
    failed = 0
    failures = []
    started = time.time()
    total = 0
    summary = []
    with tempfile.TemporaryDirectory(prefix="ecsr-fuzz-") as scratch:
        for t in names:
            binary = build_dir / "fuzz" / t
            artifacts = build_dir / "artifacts" / t
            line, out = run_corpus(t, binary, artifacts)
            print(line, flush=True)
            failed += line.startswith("FAIL")
            if args.v or line.startswith("FAIL"):
                print(out[-8000:])
            if line.startswith("FAIL"):
                failures.append((line, artifacts))
            # The smoke run learns into a scratch folder; `make fuzz` keeps
            # what it learns between runs.
            work = pathlib.Path(scratch, t) if args.smoke else BUILD / "corpus" / t
            line, execs, out = run_fuzz(t, binary, seconds, work, scratch, artifacts)
            print(line, flush=True)
            failed += line.startswith("FAIL")
            if args.v or line.startswith("FAIL"):
                print(out[-8000:])
            if line.startswith("FAIL"):
                failures.append((line, artifacts))
            total += execs
            summary.append((t, execs, sum(1 for _ in work.glob("*"))))
    if not args.smoke:
        print(f"\n{'target':<28}{'executions':>14}{'corpus':>10}")
        for t, execs, size in summary:
            print(f"{t:<28}{execs:>14}{size:>10}")
        print(f"{'total':<28}{total:>14}")
    # Again at the end, where a log cut to its last lines (CI) still shows
    # them, with the inputs: a finding on a machine we cannot reach replays here.
    for line, artifacts in failures:
        print(line)
        for f in sorted(artifacts.glob("*")):
            if f.is_file() and f.stat().st_mtime >= started and f.stat().st_size <= 4096:
                print(f"  input {f.name} (base64): {base64.b64encode(f.read_bytes()).decode()}")
    print(f"fuzzing: {len(names)} targets, {total} executions, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
