#!/usr/bin/env bash
# scripts/prepack.sh: npm's prepack (npm pack, npm publish): builds every prebuilt binary the
# package ships, so a pack of a fresh clone installs without a compiler on
#   linux-x64    this machine's build (prebuildify, stripped)
#   linux-arm64  gcc-aarch64-linux-gnu cross build, checked by loading it in qemu-aarch64
#   linux-arm    gcc-arm-linux-gnueabihf cross build (armv7l), checked in qemu-arm
#   win32-x64    the mingw-w64 cross build (scripts/windows/build.sh)
# into prebuilds/<platform>-<arch>/ (each folder is replaced; others are left as they are). The
# Debian tools are installed by scripts/apt-need.sh, the cross targets' Node.js headers come from
# the registry (scripts/runtimes.js, scripts/windows/build.sh), so nothing needs a download of its
# own. A pack that cannot build all of them fails.
set -euo pipefail
# npm passes its own command's options down as npm_config_* variables: the `npm pack` calls that
# fetch headers and runtimes below must not write their tarballs to the outer pack's destination,
# print JSON, or skip writing because the outer pack is a dry run.
unset npm_config_pack_destination npm_config_json npm_config_dry_run
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
start=$(date +%s)
# A fresh clone has no node_modules yet: prebuildify is a devDependency.
[ -f node_modules/prebuildify/bin.js ] || npm install --no-audit --no-fund --ignore-scripts --silent
scripts/apt-need.sh \
  aarch64-linux-gnu-gcc=gcc-aarch64-linux-gnu arm-linux-gnueabihf-gcc=gcc-arm-linux-gnueabihf \
  x86_64-w64-mingw32-gcc=gcc-mingw-w64-x86-64-win32 qemu-aarch64=qemu-user qemu-arm=qemu-user \
  /usr/aarch64-linux-gnu/lib/libstdc++.so.6=libstdc++6-arm64-cross \
  /usr/arm-linux-gnueabihf/lib/libstdc++.so.6=libstdc++6-armhf-cross
bash scripts/windows/build.sh >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
node scripts/prebuild.js --cross linux-arm64 --cross linux-arm \
  --add win32-x64="${MM_WIN_DIR:-$SRC/build-win}/Release/mmap_native.node" >"$log" 2>&1 || {
  cat "$log" >&2
  exit 1
}
grep '^prebuild:' "$log" >&2
echo "prepack: prebuilds ready ($(($(date +%s) - start)) s)" >&2
