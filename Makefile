# tokenfab front door. `make demo` and `make test` install what is missing on Debian 12,
# build, then run the built-in default scenario or every test.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

DEB_PACKAGES := cmake g++ make pkg-config libyaml-cpp-dev nlohmann-json3-dev libcli11-dev \
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev pybind11-dev python3-dev python3-pytest \
  libcpp-httplib-dev python3-pandas
# Node.js and npm bundle the charts of the HTML report and the web app at build time (Debian's
# nodejs and npm, unless a node and an npm are already on PATH); Chromium runs the browser test.
NODE_PACKAGES := nodejs npm
WEB_PACKAGES := chromium
FUZZ_PACKAGES := clang libclang-rt-14-dev

.PHONY: all deps build demo test test-realtime debug bench fuzz format install clean

all: build

# Installs the Debian packages that are missing (as root, or through sudo when available).
deps:
	@missing=$$(for p in $(DEB_PACKAGES) $(WEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing="$$missing $(NODE_PACKAGES)"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing </dev/null; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/tokenfab simulate

# Tests whose result would depend on the machine's speed stay out of `make test` (and CI) and
# run with `make test-realtime`. The emulate and bench-against-emulate tests are in `make test`:
# they run the twin slower than the wall clock with a grace for client latency, so scheduling
# delays of a loaded host stay far inside their tolerances (docs/emulate.md, "Tests"). The
# pattern matches no test today; keep the target for the next genuinely fragile one.
REALTIME_TESTS := ^Realtime\.

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -E '$(REALTIME_TESTS)'

test-realtime: build
	cd $(BUILD) && ctest --output-on-failure -R '$(REALTIME_TESTS)'


# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer.
debug: deps
	cmake -S . -B build-debug -DCMAKE_BUILD_TYPE=Debug -DTOKENFAB_SANITIZE=ON >/dev/null
	cmake --build build-debug -j $(JOBS)
	cd build-debug && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -E '$(REALTIME_TESTS)'

bench: build
	./$(BUILD)/tokenfab_bench --benchmark_counters_tabular=true

# libFuzzer targets (clang), built in build-fuzz. `make fuzz FUZZ_TIME=600` also runs each one
# for that many seconds, one after the other (single process), on a scratch copy of its corpus
# in build-fuzz/corpus/; crashes land in build-fuzz/ (see fuzz/README.md).
FUZZERS := scenario_fuzz hf_config_fuzz trace_fuzz
FUZZ_TIME ?=
fuzz: deps
	@missing=$$(for p in $(FUZZ_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing </dev/null; \
	fi
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOKENFAB_FUZZ=ON \
	  -DTOKENFAB_PYTHON=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZERS)
	@if [ -n "$(FUZZ_TIME)" ]; then \
	  for f in $(FUZZERS); do \
	    n=$${f%_fuzz}; mkdir -p build-fuzz/corpus/$$n; \
	    (cd build-fuzz && ./$$f -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 -timeout=10 \
	      -dict=../fuzz/$$n.dict -print_final_stats=1 corpus/$$n ../fuzz/corpus/$$n) || exit 1; \
	  done; \
	fi

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-debug build-fuzz
