# ecs-rollout: Terraform modules for ECS clusters on EC2 plus the C helper that
# rolls new AMIs out to them with zero downtime.
#
#   make          build helper/ecs-rollout
#   make test     every test (C unit tests, the same under ASan+UBSan,
#                 simulator, integration, Terraform); ends "N passed, N failed"
#   make check    the quick tier: C unit tests and the fast scenarios (< 1 min)
#   make test-times  after a full make test: its wall times become the tracked
#                 order of a fresh clone's run (tests/test-times.json)
#   make demo     a real rollout inside `terraform apply` on the local simulator
#   make bench    rollout benchmarks (prints figures)
#   make fuzz     every libFuzzer target for FUZZ_SECONDS (default 60) each;
#                 prints executions per target (tests/fuzz/fuzz_runner.py)
#   make install  installs $(DESTDIR)$(PREFIX)/bin/ecs-rollout and
#                 $(DESTDIR)$(PREFIX)/share/man/man1/ecs-rollout.1
#                 (PREFIX=/usr/local by default; DESTDIR for staging)
#   make uninstall removes both
#   make docs     regenerate the Inputs/Outputs tables of the modules' and
#                 examples' READMEs from their .tf files (scripts/tfdocs, with
#                 HashiCorp's HCL parser: node + the npm lockfile in
#                 scripts/tfdocs-reader, installed by scripts/install-deps)
#   make chaos    CHAOS_RUNS=200 CHAOS_SEED=1 CHAOS_JOBS=1 CHAOS_SHAPES=all:
#                 rollouts with random faults and kills on the simulator, on
#                 cluster shapes drawn from tests/sim/scenarios/shapes
#                 (CHAOS_SHAPES= for the plain cluster only), CHAOS_JOBS side
#                 by side; prints what they survived, per shape
#   make valgrind the rollout integration tests with the helper under
#                 valgrind memcheck (normal build); any error or leak fails
#   make coverage line coverage of helper/src/rollout by its C unit tests
#                 (gcov, scripts/coverage)

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SUBMAKE := $(MAKE) --no-print-directory -C helper -j$(JOBS)

FUZZ_SECONDS ?= 60

.PHONY: all build build-tests build-asan build-asan-helper build-fuzz test test-times check stack-check fuzz demo bench coverage \
	install uninstall clean deps-build deps-docs deps-test docs chaos valgrind

all: build

deps-build:
	@scripts/install-deps build

deps-docs:
	@scripts/install-deps docs

deps-test:
	@scripts/install-deps test

build: deps-build
	@$(SUBMAKE) BUILD=build BIN=ecs-rollout all man

# The test programs' own code at -O1: the library they test stays -O2.
build-tests: deps-build
	@$(SUBMAKE) BUILD=build BIN=ecs-rollout TEST_OPT="-O1 -g" all man tests

ASAN_MAKE := $(SUBMAKE) BUILD=build-asan BIN=build-asan/ecs-rollout SANITIZE=1 CFLAGS="-O1 -g"
# The test programs' own code at -O0 (TEST_OPT): half the compile time of
# -O1, and the normal build already compiles it with the optimizer's warnings.
build-asan: deps-build
	@$(ASAN_MAKE) TEST_OPT="-O0 -g" all tests

# The sanitizer build's ecs-rollout alone: what the integration and Terraform
# tests run, so `make test` (tests/run --build) makes it first.
build-asan-helper: deps-build
	@$(ASAN_MAKE) all

# libFuzzer targets: clang with -fsanitize=fuzzer,address,undefined.
build-fuzz: deps-test
	@$(SUBMAKE) CC=clang FUZZ=1 BUILD=build-fuzz CFLAGS="-O1 -g" fuzzers

# The pinned test stack (tests/requirements.txt) first: what differs and how
# to install it, before minutes of building.
stack-check:
	@python3 tests/lib/stack.py

# The normal ecs-rollout, then every test program: tests/run --build makes
# the rest while the programs run (which leave CPU idle as they wait), rather
# than before any can start: the sanitizer ecs-rollout first (the integration
# tests wait for it), then the C unit tests of both builds, each C program
# starting once its build is done. Likewise the fuzz targets are built by the
# fuzz smoke test (tests/fuzz/test-fuzz-smoke: its make).
test: stack-check deps-test
	@$(MAKE) --no-print-directory build
	@python3 tests/run --build

# After a full `make test`: its times become the tracked order of a fresh
# clone's first run (tests/run starts the longest programs first).
test-times:
	@python3 tests/run --save-tracked-times

check: deps-test build-tests
	@python3 tests/lib/stack.py --no-terraform
	@python3 tests/run --quick

fuzz: build-fuzz
	@python3 tests/fuzz/fuzz_runner.py --seconds $(FUZZ_SECONDS)

# The demo needs only the build and the python3/terraform the machine has.
demo: build
	@python3 scripts/demo

CHAOS_RUNS ?= 200
CHAOS_SEED ?= 1
CHAOS_JOBS ?= 1
CHAOS_SHAPES ?= all
PY_TEST_ENV := PYTHONPATH=tests/lib:tests:tests/integration PYTHONDONTWRITEBYTECODE=1 REPO_ROOT=$(CURDIR)

chaos: deps-test build-asan
	@env $(PY_TEST_ENV) python3 tests/integration/chaos.py --runs $(CHAOS_RUNS) --seed $(CHAOS_SEED) \
		--jobs $(CHAOS_JOBS) --shapes "$(CHAOS_SHAPES)"

valgrind: deps-test build
	@env $(PY_TEST_ENV) python3 tests/integration/valgrind.py

# The man page comes from the same option table as --help (helper/tools/mkman.c).
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 helper/ecs-rollout $(DESTDIR)$(BINDIR)/ecs-rollout
	install -m 0644 helper/build/ecs-rollout.1 $(DESTDIR)$(MANDIR)/man1/ecs-rollout.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ecs-rollout $(DESTDIR)$(MANDIR)/man1/ecs-rollout.1

docs: deps-docs
	@scripts/tfdocs

clean:
	@$(MAKE) --no-print-directory -C helper clean

# Rollout benchmarks on the simulator: wall time / critical path, AWS reads
# per poll, heap and CPU at 3, 50 and 1,000 instances (prints figures; takes
# minutes). BENCH_FLAGS: --throttle (AWS's token buckets), --groups N.
BENCH_SIZES ?= 3,50,1000
BENCH_FLAGS ?=
# Line coverage of helper/src/rollout by its unit tests (gcov).
coverage: deps-build
	@scripts/coverage

bench: deps-test build
	@python3 tests/bench/rollout_bench.py --sizes $(BENCH_SIZES) $(BENCH_FLAGS)
