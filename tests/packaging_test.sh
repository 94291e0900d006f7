#!/usr/bin/env bash
# The ways a project takes strata in that build strata again or touch the system, each exercised by a
# consumer build, offline (scripts/test.sh runs this after the main build; docs/getting-started.md
# shows each way; find_package and pkg-config from a prefix are also the ctest install_find_package):
#   1. FetchContent from a local git repository of this tree, with BUILD_SHARED_LIBS=ON and
#      STRATA_INSTALL=ON: the library alone is built (no tests, no -Werror) as libstrata.so with the
#      SONAME libstrata.so.<major>, exporting strata:: names only; tests/install_consumer/main.cpp runs
#      against it, then its install is checked by tests/install_test.sh (find_package and pkg-config);
#   2. add_subdirectory of this tree: configured only, so the subproject checks of
#      tests/subproject_consumer run (no test targets, no -Werror); FetchContent_MakeAvailable is
#      add_subdirectory of the fetched tree, so step 1 built that way already;
#   3. the Debian package: `cpack -G DEB` in BUILD_DIR makes libstrata-dev; it is installed with
#      apt-get, tests/install_test.sh checks /usr, and it is removed again (root, or sudo if not root).
#
#   packaging_test.sh BUILD_DIR SOURCE_DIR        BUILD_DIR: a configured, built static build (scripts/test.sh's)
set -euo pipefail
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
work=$(mktemp -d)
jobs=$(nproc)
version=$(sed -n 's/^#define STRATA_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' "$source_dir/include/strata/version.hpp" | paste -sd.)
major=${version%%.*}

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
  echo "==> packaging: not root, so apt-get runs with sudo"
fi
deb_installed=0
cleanup() {
  if ((deb_installed)); then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y -qq -o DPkg::Lock::Timeout=120 libstrata-dev >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "packaging_test: $*" >&2; exit 1; }
step() { echo "==> packaging: $*"; }

run_consumer() {
  local out
  out=$("$1") || fail "$1 failed: $out"
  [[ "$out" == "t 1" ]] || fail "$1 printed '$out', expected 't 1'"
}

# --- 1. FetchContent from a git repository holding this tree (tracked and new files, as they are now),
# built shared and installed.
step "FetchContent from a local git repository (tag v$version), BUILD_SHARED_LIBS=ON, then find_package and pkg-config against its install"
repo=$work/strata.git
mkdir -p "$repo"
(cd "$source_dir" && git ls-files -z --cached --others --exclude-standard \
   | while IFS= read -r -d '' f; do [[ -f $f ]] && printf '%s\0' "$f"; done \
   | tar --null -T - -cf -) | tar -C "$repo" -xf -
git -C "$repo" init -q
git -C "$repo" add -A
git -C "$repo" -c user.name=strata-test -c user.email=strata-test@localhost commit -q -m "strata $version"
git -C "$repo" tag "v$version"
cmake -S "$source_dir/tests/subproject_consumer" -B "$work/fetch" -G Ninja \
  -DSTRATA_GIT="$repo" -DSTRATA_TAG="v$version" -DBUILD_SHARED_LIBS=ON -DSTRATA_INSTALL=ON >/dev/null
cmake --build "$work/fetch" -j"$jobs" >/dev/null
so=$work/fetch/_deps/strata-build/libstrata.so
[[ -f $so ]] || fail "the FetchContent build made no $so"
# grep reads all of its input (no -q) in each pipe below: under pipefail, a
# grep that stops early gets its writer killed by SIGPIPE, and the pipe fails
# (or, negated, passes) whatever grep found.
readelf -d "$so" | grep "(SONAME) *Library soname: \[libstrata\.so\.$major\]" >/dev/null \
  || fail "libstrata.so's SONAME is not libstrata.so.$major: $(readelf -d "$so" | grep SONAME)"
# Only strata's own names: the public API (STRATA_API, cmake/libstrata.map), nothing of src/'s helpers'
# libraries or of the standard library's templates.
others=$(nm -D --defined-only -C "$so" | cut -d' ' -f3- \
  | grep -v '^\(strata::\|typeinfo for strata::\|typeinfo name for strata::\|vtable for strata::\|VTT for strata::\)' || true)
[[ -z $others ]] || fail "libstrata.so exports more than strata's API:
$others"
# strata::migrate's library API (upgrade, downgrade, check, autogenerate) is public; its runner is not.
for hidden in 'strata::migrate::Runner::' 'strata::migrate::ScriptDirectory::' 'strata::detail::SessionImpl::' 'YAML::' 'CLI::'; do
  ! nm -D --defined-only -C "$so" | grep -F " $hidden" >/dev/null || fail "libstrata.so exports $hidden (not public API)"
done
ldd "$work/fetch/consumer" | grep "libstrata\.so\.$major => $work/fetch/_deps/strata-build/" >/dev/null \
  || fail "the FetchContent consumer does not load the libstrata.so built with it"
run_consumer "$work/fetch/consumer"
cmake --install "$work/fetch" --prefix "$work/shared-prefix" >/dev/null
"$source_dir/tests/install_test.sh" --installed "$work/shared-prefix" "$source_dir"

# --- 2. add_subdirectory: the subproject checks are configure-time checks.
step "add_subdirectory of the source tree: configured as a subproject"
cmake -S "$source_dir/tests/subproject_consumer" -B "$work/subdir" -G Ninja -DSTRATA_SOURCE="$source_dir" >/dev/null

# --- 3. The Debian package, installed in /usr for as long as the consumers take to build.
step "cpack -G DEB: libstrata-dev, installed with apt-get, consumers against /usr"
if dpkg-query -W -f='${Status}' libstrata-dev 2>/dev/null | grep -q "install ok installed"; then
  fail "libstrata-dev is already installed on this machine: remove it first (apt-get remove libstrata-dev)"
fi
(cd "$build_dir" && cpack -G DEB -B "$work/deb" >/dev/null)
deb=$(echo "$work"/deb/libstrata-dev_"$version"_*.deb)
[[ -f $deb ]] || fail "cpack made no libstrata-dev_${version}_*.deb in $work/deb"
depends=$(dpkg-deb -f "$deb" Depends)
for dependency in libsqlite3-dev libpq-dev libyaml-cpp-dev; do
  grep -q "\b$dependency\b" <<<"$depends" || fail "$deb does not depend on $dependency: $depends"
done
contents=$(dpkg-deb -c "$deb")
for file in include/strata/strata.hpp include/strata/version.hpp libstrata.a cmake/strata/strataConfig.cmake \
            cmake/strata/strataConfigVersion.cmake pkgconfig/strata.pc; do
  grep -q "/$file\$" <<<"$contents" || fail "$deb has no $file"
done
deb_installed=1
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=120 "$deb" >/dev/null
"$source_dir/tests/install_test.sh" --installed /usr "$source_dir"
step "all ways in: ok"
