#!/usr/bin/env bash
# scripts/windows/build.sh: cross-builds the addon for Windows x64 with mingw-w64 on Linux
# (npm run build:win). Output: build-win/Release/mmap_native.node.
#
# The Node-API import library comes from node-api-headers' def/node_api.def (the addon then
# imports its napi_* functions from NODE.EXE, so the host must be called node.exe, as it is
# for every Windows Node). Needs x86_64-w64-mingw32-gcc (Debian: gcc-mingw-w64-x86-64-win32);
# scripts/windows/test.sh installs it.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=${MM_WIN_DIR:-$SRC/build-win}
HEADERS_VERSION=${HEADERS_VERSION:-1.9.0}
CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
DLLTOOL=${MINGW_DLLTOOL:-x86_64-w64-mingw32-dlltool}

command -v "$CC" >/dev/null || {
  echo "build-win: $CC not found (Debian: apt-get install gcc-mingw-w64-x86-64-win32)" >&2
  exit 1
}

mkdir -p "$W/dl" "$W/Release"
if [ ! -f "$W/nah/def/node_api.def" ]; then
  (cd "$W/dl" && npm pack --silent "node-api-headers@$HEADERS_VERSION" >/dev/null)
  mkdir -p "$W/nah"
  tar -xzf "$W/dl/node-api-headers-$HEADERS_VERSION.tgz" -C "$W/nah" --strip-components=1
fi
# An import library, not the .def itself: given to gcc, a .def makes ld try to export the symbols.
"$DLLTOOL" -d "$W/nah/def/node_api.def" -l "$W/libnode_api.a"

# -muse-unaligned-vector-move: GCC does not align the stack to 32 bytes on Windows x64, so an
# AVX2 value spilled to the stack with an aligned move can fault (GCC bug 54412); the assembler
# turns every aligned vector move into an unaligned one, which costs nothing on current CPUs.
"$CC" -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter \
  -DNAPI_VERSION=8 -DBUILDING_NODE_EXTENSION -DWIN32_LEAN_AND_MEAN -D_WIN32_WINNT=0x0602 \
  -Wa,-muse-unaligned-vector-move \
  -I"$W/nah/include" -shared -s -static-libgcc \
  -o "$W/Release/mmap_native.node.tmp" \
  "$SRC/src/mmap.c" "$SRC/src/bytes.c" "$SRC/src/search.c" "$SRC/src/lines.c" "$SRC/src/shm.c" "$SRC/src/scan.c" "$SRC/src/binding.c" "$SRC/src/binding-bytes.c" "$SRC/src/binding-shm.c" "$SRC/src/views.c" "$SRC/src/napi.c" \
  "$SRC/src/async.c" "$SRC/src/win32.c" "$SRC/src/win32-shm.c" "$SRC/src/win32-guard.c" \
  "$W/libnode_api.a"
mv -f "$W/Release/mmap_native.node.tmp" "$W/Release/mmap_native.node"
echo "build-win: $W/Release/mmap_native.node"
