# Thin wrapper; the real work is in CMake, ctest and the scripts it names.
#   make deps       install what is missing (Debian packages, pinned tools), idempotent
#   make build      configure and build everything (build/)
#   make test-unit  unit tests only
#   make test       deps + build + lint + every test (unit, smoke, integration)
#   make run        the whole system locally (see README)
#   make bench-scale the whole-system scale benchmark (10,000 bundles by default; README "Scale")
#   make images     the four service images from deploy/docker/Dockerfile, loaded into the test
#                   bed (scripts/build-images.sh; reuses build/'s binaries)
#   make clean      remove build/
SHELL := /bin/bash
BUILD_DIR ?= build
JOBS ?= 2
TESTBED := test/integration/testbed
TOOLS_PATH = $(shell $(TESTBED)/build-tools.sh --path)
export PATH := $(TOOLS_PATH):$(PATH)
# ccache hits across checkouts (CI builds a fresh clone each time): paths below the
# source root are hashed relative to it.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: deps build test-unit test lint run clean bench-scale images

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

test-unit: build
	cd $(BUILD_DIR) && ctest -L unit --output-on-failure -j $(JOBS)

lint:
	cd proto && buf lint

test: deps
	@scripts/run-tests.sh

run: deps build
	@scripts/run-local.sh

bench-scale: deps build
	cmake --build $(BUILD_DIR) --target bench-scale

images: build
	@BUILD_DIR=$(BUILD_DIR) JOBS=$(JOBS) scripts/build-images.sh

clean:
	rm -rf $(BUILD_DIR)
