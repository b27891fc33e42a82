#!/usr/bin/env bash
# Builds the Debian package from a build tree (CPack, into a temporary
# directory: the build tree's own package/ is left alone) and checks it:
# dpkg-deb -I (name, Depends computed from the libraries) and -c (program,
# schema, man pages, completion, CMake package, case library); the packaged
# binary stripped with a .gnu_debuglink to the debug file left in the build
# tree; the schema's $id; the man pages render; the completion completes;
# the binary runs and validates the packaged case library.
#   package_test.sh BUILD_DIR
# Needs dpkg-deb, dpkg-shlibdeps (dpkg-dev), file, readelf. As root, the
# package is also installed with dpkg and run in a throwaway root (below).
set -euo pipefail
build=$(cd "$1" && pwd)
tmp=$(mktemp -d /tmp/faultline-package.XXXXXX)
# The throwaway root (below) is mounted only in a private mount namespace;
# never remove through a mount all the same.
cleanup() {
  if mountpoint -q "$tmp/ov/root" 2>/dev/null; then
    echo "package_test: $tmp/ov/root is still mounted; left in place" >&2
    return
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "package_test: FAIL: $*" >&2; exit 1; }

cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack failed"; }
arch=$(dpkg --print-architecture)
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
deb="$tmp/out/faultline_${version}_${arch}.deb"
[ -f "$deb" ] || { ls "$tmp/out"; fail "no faultline_${version}_${arch}.deb"; }

info=$(dpkg-deb -I "$deb")
echo "$info" | grep -q '^ Package: faultline$' || fail "Package is not faultline"
depends=$(echo "$info" | sed -n 's/^ Depends: //p')
for lib in libc6 libstdc++6 libyaml-cpp libpcap libmnl0 libnetfilter-queue1 libre2 libbpf iproute2 iptables; do
  case $depends in *"$lib"*) ;; *) fail "Depends lacks $lib: $depends" ;; esac
done

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/faultline ./usr/bin/faultline-peer ./usr/share/faultline/schema.json \
  ./usr/share/man/man1/faultline.1 ./usr/share/man/man5/faultline-cases.5 \
  ./usr/share/bash-completion/completions/faultline \
  ./usr/lib/cmake/faultline/faultlineConfig.cmake \
  ./usr/lib/cmake/faultline/faultline_add_cases.cmake \
  ./usr/share/faultline/cases/handshake/simultaneous-open.yaml; do
  echo "$contents" | grep -qxF "$f" || fail "$f not in the package"
done
if echo "$contents" | grep -q '\.debug$'; then fail "debug information packaged"; fi

dpkg-deb -x "$deb" "$tmp/root"
for program in faultline faultline-peer; do
  p="$tmp/root/usr/bin/$program"
  file "$p" | grep -q ', stripped' || fail "not stripped: $(file "$p")"
  if readelf -S "$p" | grep -q '\.debug_info'; then fail "$program has .debug_info"; fi
  readelf -S "$p" | grep -q '\.gnu_debuglink' || fail "$program: no .gnu_debuglink"
  [ -s "$build/$program.debug" ] || fail "no $build/$program.debug"
  readelf -S "$build/$program.debug" 2>/dev/null | grep -q '\.debug_info' ||
    fail "$build/$program.debug has no .debug_info"
done
bin="$tmp/root/usr/bin/faultline"
"$bin" --version | grep -q '^faultline ' || fail "the packaged binary does not run"
"$bin" validate "$tmp/root/usr/share/faultline/cases" >"$tmp/validate.log" 2>&1 ||
  { cat "$tmp/validate.log"; fail "the packaged case library does not validate"; }
grep -q '"\$id": "' "$tmp/root/usr/share/faultline/schema.json" || fail "schema.json has no \$id"
for page in man1/faultline.1 man5/faultline-cases.5; do
  warnings=$(groff -man -ww -z "$tmp/root/usr/share/man/$page" 2>&1)
  [ -z "$warnings" ] || fail "$page: $warnings"
done
if command -v man >/dev/null; then
  MANPATH="$tmp/root/usr/share/man" man -P cat faultline 2>/dev/null | grep -q 'faultline run' ||
    fail "man faultline does not show the page"
  MANPATH="$tmp/root/usr/share/man" man -P cat 5 faultline-cases 2>/dev/null |
    grep -q 'faultline-cases' || fail "man 5 faultline-cases does not show the page"
fi
# The completion completes (with or without bash-completion's helpers).
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _faultline
           echo "${COMPREPLY[*]}"' _ "$tmp/root/usr/share/bash-completion/completions/faultline" "$@"
}
[ "$(complete_words faultline r)" = "run report" ] || fail "completion of 'faultline r'"
[ "$(complete_words faultline run --family '')" = "ipv4 ipv6" ] ||
  fail "completion of 'faultline run --family '"
[ "$(complete_words faultline report m)" = "merge" ] || fail "completion of 'faultline report m'"
# Installed with dpkg in a throwaway root (root only): an overlay over / in
# a private mount namespace, so the host's own / is never written. `man
# faultline` shows the page; `faultline run` runs installed cases.
installed_check() {
  mkdir -p "$tmp/ov/upper" "$tmp/ov/work" "$tmp/ov/root"
  cp "$deb" "$tmp/ov/faultline.deb"
  cat >"$tmp/ov/inside.sh" <<INSIDE
set -e
mount -t overlay overlay -o lowerdir=/,upperdir=$tmp/ov/upper,workdir=$tmp/ov/work $tmp/ov/root ||
  { echo "overlay mount not possible"; exit 77; }
for d in proc sys dev; do mount --rbind /\$d $tmp/ov/root/\$d; done
mount -t tmpfs tmpfs $tmp/ov/root/tmp
mount -t tmpfs tmpfs $tmp/ov/root/run
cp $tmp/ov/faultline.deb $tmp/ov/root/tmp/
chroot $tmp/ov/root /bin/bash -ec '
  dpkg -i /tmp/faultline.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
  if command -v man >/dev/null; then man -P cat faultline | grep -q "faultline run"; fi
  cd /tmp && faultline run --no-color --out /tmp/out /usr/share/faultline/cases/handshake'
INSIDE
  local rc=0
  unshare -m --propagation private bash "$tmp/ov/inside.sh" >"$tmp/ov.log" 2>&1 || rc=$?
  if [ "$rc" -eq 77 ]; then
    echo "package_test: the install check skipped: $(tail -n 1 "$tmp/ov.log")"
  elif [ "$rc" -ne 0 ]; then
    cat "$tmp/ov.log"
    fail "installing the package in a throwaway root, or running it, failed (exit $rc)"
  else
    echo "package_test: installed with dpkg in a throwaway root: $(grep -E 'passed' "$tmp/ov.log")"
  fi
}
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then installed_check; fi

echo "package_test: ok: $(basename "$deb"), $(stat -c %s "$bin") byte binary, Depends: $depends"
