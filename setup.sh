#!/usr/bin/env bash
# One-step set-up for a fresh Debian 12 machine (run as root, or with sudo available):
#   ./setup.sh check   install what is missing, build, run `flopscope check corpus/`
#   ./setup.sh test    install what is missing, build, run the whole test suite (ctest)
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-check}"
case "$mode" in check|test) ;; *) echo "usage: ./setup.sh check|test" >&2; exit 2 ;; esac

packages=(build-essential cmake ninja-build pkg-config npm
          libtree-sitter-dev libboost-graph-dev libabsl-dev libcli11-dev
          libprotobuf-dev protobuf-compiler libgtest-dev libgmock-dev
          libtbb-dev libtomlplusplus-dev libxxhash-dev python3 python3-jsonschema
          libpython3.11-testsuite)
# libpython3.11-testsuite completes /usr/lib/python3.11/test (Debian strips it otherwise): the
# stdlib test runs flopscope over the whole standard library, broken test files included.
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from a Node.js install outside Debian's packages; that serves as well.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

build_dir="${FLOPSCOPE_BUILD_DIR:-build}"
jobs="$(nproc)"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir" -j "$jobs"

# Microsoft's SARIF multitool (a self-contained binary inside its npm package), used by
# tests/integration/sarif_validate_test.cc to check SARIF the way GitHub code scanning ingests it.
# Pinned; installed once into the build tree. Without it those tests skip, so a registry outage
# does not fail the set-up.
multitool_version="5.7.0"
multitool_dir="$build_dir/_deps/sarif-multitool"
multitool_bin="$multitool_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
if [ "$mode" = test ] && ! grep -qs "\"version\": \"$multitool_version\"" \
    "$multitool_dir/node_modules/@microsoft/sarif-multitool/package.json"; then
  mkdir -p "$multitool_dir"
  if npm install --prefix "$multitool_dir" --no-audit --no-fund --loglevel=error \
      "@microsoft/sarif-multitool@$multitool_version"; then
    chmod u+x "$multitool_bin"  # the package's postinstall does this; npm may skip scripts
  else
    echo "setup: warning: could not install @microsoft/sarif-multitool; its tests will skip" >&2
  fi
fi

if [ "$mode" = check ]; then
  set +e
  "$build_dir/flopscope" check corpus/
  rc=$?
  set -e
  # 1 means findings: the bundled corpus is full of them on purpose.
  [ "$rc" -le 1 ] || exit "$rc"
else
  ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"
fi
