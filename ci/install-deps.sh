#!/usr/bin/env bash
# Installs every build and run dependency of faultline from Debian's packages.
# Idempotent: packages already present are left as they are. Needs root.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git
  # required libraries
  libgtest-dev libgmock-dev libnetfilter-queue-dev libmnl-dev libyaml-cpp-dev libpcap-dev
  libre2-dev
  # socket state history (harness/observe/state_trace.h): BTF, BPF maps, ring buffer
  libbpf-dev
  # preferred libraries
  libfmt-dev nlohmann-json3-dev libpugixml-dev libcli11-dev
  # run time: iptables-restore inside the wire namespace (only where the kernel
  # refuses the nf_tables route, injectors/queue_rules.h), iproute2 for --keep
  iptables iproute2
  # schema validation of the JUnit output in tests
  libxml2-utils
  # real programs of the case library's cases/apps/ and their tests
  python3 curl socat bash
  # the case-file JSON Schema tests (tests/schema/check_schema.py)
  python3-jsonschema python3-yaml
  # the HTML report's browser test (headless) and docs/report.png
  chromium
  # libFuzzer targets (ci/fuzz.sh)
  clang libclang-rt-14-dev
  # Wireshark's TCP expert analysis of a clean case's pcaps
  # (tests/integration/capture_test.cc); no setuid dumpcap (debconf below)
  tshark
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
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
