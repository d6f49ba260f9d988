# ecs-rollout: Terraform modules for ECS clusters on EC2 plus the C helper that
# rolls new AMIs out to them with zero downtime.
#
#   make          build helper/ecs-rollout
#   make test     every test (C unit tests, the same under ASan+UBSan,
#                 simulator, integration, Terraform); ends "N passed, N failed"
#   make demo     a real rollout inside `terraform apply` on the local simulator
#   make bench    rollout benchmarks (prints figures)
#   make fuzz     every libFuzzer target for FUZZ_SECONDS (default 60) each;
#                 prints executions per target (tests/fuzz/fuzz_runner.py)
#   make install  PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SUBMAKE := $(MAKE) --no-print-directory -C helper -j$(JOBS)

FUZZ_SECONDS ?= 60

.PHONY: all build build-tests build-asan build-fuzz test fuzz demo bench install clean deps-build \
	deps-test

all: build

deps-build:
	@scripts/install-deps build

deps-test:
	@scripts/install-deps test

build: deps-build
	@$(SUBMAKE) BUILD=build BIN=ecs-rollout all

build-tests: deps-build
	@$(SUBMAKE) BUILD=build BIN=ecs-rollout all tests

build-asan: deps-build
	@$(SUBMAKE) BUILD=build-asan BIN=build-asan/ecs-rollout SANITIZE=1 CFLAGS="-O1 -g" all tests

# libFuzzer targets: clang with -fsanitize=fuzzer,address,undefined.
build-fuzz: deps-test
	@$(SUBMAKE) CC=clang FUZZ=1 BUILD=build-fuzz CFLAGS="-O1 -g" fuzzers

test: deps-test build-tests build-asan build-fuzz
	@python3 tests/run

fuzz: build-fuzz
	@python3 tests/fuzz/fuzz_runner.py --seconds $(FUZZ_SECONDS)

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 helper/ecs-rollout $(DESTDIR)$(PREFIX)/bin/ecs-rollout

clean:
	@$(MAKE) --no-print-directory -C helper clean

# Rollout benchmarks on the simulator: wall time / critical path, AWS requests
# and peak memory at 3, 50 and 1,000 instances (prints figures; takes minutes).
BENCH_SIZES ?= 3,50,1000
bench: deps-test build
	@python3 tests/bench/rollout_bench.py --sizes $(BENCH_SIZES)
