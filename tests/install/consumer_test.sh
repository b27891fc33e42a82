#!/usr/bin/env bash
# Installs faultline from a build tree into a temporary prefix, configures a
# consumer project against it (find_package(faultline) +
# faultline_add_cases), and runs its cases through ctest -j.
#   consumer_test.sh BUILD_DIR SOURCE_DIR
# Needs root (the cases build network namespaces). Cleans up after itself.
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d /tmp/faultline-consumer.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "consumer_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install failed"; }
[ -x "$tmp/prefix/bin/faultline" ] || fail "bin/faultline not installed"
# An install that strips by itself (--strip) keeps the build's debug file
# whole: the debug information comes from the build tree's program.
cmake --install "$build" --prefix "$tmp/stripped" --strip > "$tmp/install-strip.log" ||
  { cat "$tmp/install-strip.log"; fail "cmake --install --strip failed"; }
for program in faultline faultline-peer; do
  sections=$(readelf -S "$build/$program.debug" 2>/dev/null || true)
  [[ $sections == *.debug_info* ]] ||
    fail "$build/$program.debug has no debug information after cmake --install --strip"
  sections=$(readelf -S "$tmp/stripped/bin/$program" 2>/dev/null || true)
  [[ $sections == *.gnu_debuglink* ]] || fail "the --strip install's $program has no .gnu_debuglink"
done
rm -rf "$tmp/stripped"
config=$(find "$tmp/prefix" -name faultlineConfig.cmake | head -1)
[ -n "$config" ] || fail "faultlineConfig.cmake not installed"
[ -f "$(dirname "$config")/faultline_add_cases.cmake" ] || fail "faultline_add_cases.cmake not installed"
[ -d "$tmp/prefix/share/faultline/cases" ] || fail "case library not installed"
library_cases=$(find "$tmp/prefix/share/faultline/cases" -name '*.yaml' -o -name '*.yml' | wc -l)
[ "$library_cases" -gt 0 ] || fail "the installed case library is empty"

cmake -S "$src/tests/install/consumer" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  > "$tmp/configure.log" || { cat "$tmp/configure.log"; fail "configuring the consumer failed"; }

# Every installed library case is registered as a test.
registered=$(ctest --test-dir "$tmp/build" -N -L library | sed -n 's/^Total Tests: //p')
[ "$registered" = "$library_cases" ] || fail "library: $registered tests registered for $library_cases case files"

# The consumer's own cases run, in parallel, and pass.
ctest --test-dir "$tmp/build" -L '^faultline$' -j 2 --output-on-failure | tee "$tmp/ctest.log"
grep -q "100% tests passed, 0 tests failed out of 2" "$tmp/ctest.log" || fail "expected 2 passing tests"
grep -q "own/sub/refused" "$tmp/ctest.log" || fail "test names are PREFIX/<path without extension>"
[ -f "$tmp/build/faultline-out/sub_refused/junit.xml" ] || fail "no JUnit report for own/sub/refused"
echo "consumer_test: ok ($registered library tests registered, 2 own cases passed)"
