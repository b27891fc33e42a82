#!/usr/bin/env bash
# Installs faultline's dependencies from Debian's packages, by purpose:
#
#   ci/install-deps.sh run     what the faultline program needs at run time
#                              (the Debian package's Depends, as libraries)
#   ci/install-deps.sh build   run + compilers, CMake and the -dev packages
#                              (what `cmake -S . -B build && cmake --build build` needs)
#   ci/install-deps.sh test    build + what the tests use (GoogleTest, the
#                              JSON Schema checks, chromium, clang, tshark...)
#   ci/install-deps.sh all     everything (same as test)
#
# Without an argument: build, what README.md's first command needs (build
# and run the case library). ci/test.sh (README's second command) asks for
# `test`. Idempotent: packages already present are left as they are. Needs
# root when something is missing.
set -euo pipefail

set_name=${1:-build}

run=(
  # the program's shared libraries
  libmnl0 libnetfilter-queue1 libyaml-cpp0.7 libpcap0.8 libre2-9 libbpf1
  libfmt9 libpugixml1v5
  # iptables-restore inside the wire namespace (only where the kernel
  # refuses the nf_tables route, injectors/queue_rules.h), iproute2 for --keep
  iptables iproute2
  # real programs of the case library's cases/apps/
  python3 curl socat bash
)
build=(
  build-essential cmake pkg-config git
  # GoogleTest: the build configures the tests unless FAULTLINE_TESTS=OFF
  libgtest-dev libgmock-dev
  libnetfilter-queue-dev libmnl-dev libyaml-cpp-dev libpcap-dev libre2-dev
  # socket state history (harness/observe/state_trace.h): BTF, BPF maps, ring buffer
  libbpf-dev
  libfmt-dev nlohmann-json3-dev libpugixml-dev libcli11-dev
  # the Debian package (`--target package`): dpkg-shlibdeps computes Depends
  dpkg-dev file
)
test=(
  # schema validation of the JUnit output in tests
  libxml2-utils
  # the case-file JSON Schema tests (tests/schema/check_schema.py)
  python3-jsonschema python3-yaml
  # the HTML report's browser test (headless) and docs/report.png
  chromium
  # libFuzzer targets (ci/fuzz.sh)
  clang libclang-rt-14-dev
  # Wireshark's TCP expert analysis of a clean case's pcaps
  # (tests/integration/capture_test.cc); no setuid dumpcap (debconf below)
  tshark
  # the package test renders the man pages (tests/install/package_test.sh)
  man-db
)

case $set_name in
  run) packages=("${run[@]}") ;;
  build) packages=("${run[@]}" "${build[@]}") ;;
  test | all) packages=("${run[@]}" "${build[@]}" "${test[@]}") ;;
  *)
    echo "install-deps: unknown set '$set_name': run, build, test or all" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages of '$set_name' present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}) and not root: run as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# tshark's wireshark-common asks whether non-root users may capture: no.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
