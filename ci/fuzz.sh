#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a
# bounded time, seeded from the case library and from hand-made packets.
# Usage: ci/fuzz.sh [--build-only | --run-only] [SECONDS_PER_TARGET]   (default 30)
# ci/test.sh builds first (--build-only) and ctest runs them (--run-only).
# Exit status non-zero on any crash, leak, hang (timeout per input 5 s) or
# sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=all
case "${1:-}" in
  --build-only) mode=build; shift ;;
  --run-only) mode=run; shift ;;
esac
seconds=${1:-30}
jobs=$(nproc 2>/dev/null || echo 2)

if [ "$mode" != run ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DFAULTLINE_FUZZ=ON -DFAULTLINE_TESTS=OFF \
    -DFAULTLINE_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j"$jobs" --target loader_fuzz packet_fuzz pkt_fuzz
fi
[ "$mode" = build ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/loader" "$work/packet" "$work/pkt"
cp tests/pktdrill/*.pkt "$work/pkt/"
find cases -name '*.yaml' -exec cp {} "$work/loader/" \;

# Packet seeds: IPv4 TCP SYN with options, IPv6 TCP data, IPv4 UDP, ICMP echo.
p() { printf "$2" > "$work/packet/$1"; }
p v4-syn '\x45\x00\x00\x3c\x00\x01\x40\x00\x40\x06\x00\x00\xc6\x12\x01\x02\xc6\x12\x02\x02\x9c\x40\x1f\x90\x00\x00\x00\x01\x00\x00\x00\x00\xa0\x02\xfa\xf0\x00\x00\x00\x00\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x01\x03\x03\x07'
p v6-data '\x60\x00\x00\x00\x00\x18\x06\x40\x20\x01\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x20\x01\x00\x02\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x9c\x40\x1f\x90\x00\x00\x00\x02\x00\x00\x00\x05\x50\x18\x01\x00\x00\x00\x00\x00ping'
p v4-udp '\x45\x00\x00\x1f\x00\x02\x00\x00\x40\x11\x00\x00\xc6\x12\x01\x02\xc6\x12\x02\x02\x13\x88\x13\x89\x00\x0b\x00\x00one'
p v4-icmp '\x45\x00\x00\x1c\x00\x03\x00\x00\x40\x01\x00\x00\xc6\x12\x02\x01\xc6\x12\x01\x02\x03\x03\x00\x00\x00\x00\x00\x00'

status=0
for t in loader packet pkt; do
  echo "fuzz: ${t}_fuzz for ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "build-fuzz/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" "$work/$t" \
      > "$work/$t.log" 2>&1; then
    status=1
    tail -60 "$work/$t.log"
    echo "fuzz: ${t}_fuzz FAILED"
  else
    grep -E '^(stat::number_of_executed_units|Done)' "$work/$t.log" || true
    echo "fuzz: ${t}_fuzz ok"
  fi
done
exit $status
