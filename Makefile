# tokenfab front door. `make demo` and `make test` install what is missing on Debian 12,
# build, then run the built-in default scenario or every test.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

DEB_PACKAGES := cmake g++ make pkg-config libyaml-cpp-dev nlohmann-json3-dev libcli11-dev \
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev pybind11-dev python3-dev python3-pytest \
  libcpp-httplib-dev
FUZZ_PACKAGES := clang libclang-rt-14-dev

.PHONY: all deps build demo test debug bench fuzz format install clean

all: build

# Installs the Debian packages that are missing (as root, or through sudo when available).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
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

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer.
debug: deps
	cmake -S . -B build-debug -DCMAKE_BUILD_TYPE=Debug -DTOKENFAB_SANITIZE=ON >/dev/null
	cmake --build build-debug -j $(JOBS)
	cd build-debug && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

bench: build
	./$(BUILD)/tokenfab_bench --benchmark_counters_tabular=true

# libFuzzer targets (clang); run one with e.g. build-fuzz/scenario_fuzz -max_total_time=600 fuzz/corpus/scenario
fuzz: deps
	@for p in $(FUZZ_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FUZZ_PACKAGES) </dev/null); done
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOKENFAB_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target scenario_fuzz hf_config_fuzz trace_fuzz

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-debug build-fuzz
