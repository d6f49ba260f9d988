# ecs-rollout: Terraform modules for ECS clusters on EC2 plus the C helper that
# rolls new AMIs out to them with zero downtime.
#
#   make          build helper/ecs-rollout
#   make test     every test (C unit tests, the same under ASan+UBSan,
#                 simulator, integration, Terraform); ends "N passed, N failed"
#   make demo     a real rollout inside `terraform apply` on the local simulator
#   make bench    rollout benchmarks (prints figures)
#   make chaos    CHAOS_RUNS=200 CHAOS_SEED=1: rollouts with random faults and
#                 kills on the simulator; prints what they survived
#   make valgrind the rollout integration tests with the helper under
#                 valgrind memcheck (normal build); any error or leak fails
#   make install  PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SUBMAKE := $(MAKE) --no-print-directory -C helper -j$(JOBS)

.PHONY: all build build-tests build-asan test demo bench install clean deps-build deps-test chaos valgrind

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

test: deps-test build-tests build-asan
	@python3 tests/run

CHAOS_RUNS ?= 200
CHAOS_SEED ?= 1
PY_TEST_ENV := PYTHONPATH=tests/lib:tests:tests/integration PYTHONDONTWRITEBYTECODE=1 REPO_ROOT=$(CURDIR)

chaos: deps-test build-asan
	@env $(PY_TEST_ENV) python3 tests/integration/chaos.py --runs $(CHAOS_RUNS) --seed $(CHAOS_SEED)

valgrind: deps-test build
	@env $(PY_TEST_ENV) python3 tests/integration/valgrind.py

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 helper/ecs-rollout $(DESTDIR)$(PREFIX)/bin/ecs-rollout

clean:
	@$(MAKE) --no-print-directory -C helper clean
