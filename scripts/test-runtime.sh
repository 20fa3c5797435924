#!/usr/bin/env bash
# scripts/test-runtime.sh: the Bun and Deno stages (npm run test:bun, npm run test:deno): the whole
# mocha suite under that runtime, installed from the npm registry (`bun`, `deno`; pinned in
# scripts/runtimes.js), against the addon npm install built. Mocha itself runs under the runtime
# (bun runs it as it is; deno with -A, since the suite reads files, starts children and loads the
# addon). test/runtimes/exclusions.js skips the tests that depend on what the runtime lacks, each
# with its reason, and fails the run if an entry names no test. Extra arguments go to mocha (a
# file list replaces the suite).
#   scripts/test-runtime.sh bun|deno [mocha args...]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
rt=${1:?usage: test-runtime.sh bun|deno [mocha args...]}
shift
start=$(date +%s)
cd "$SRC"
[ -f node_modules/mocha/bin/mocha.js ] || npm install --no-audit --no-fund --silent
[ -f build/Release/mmap_native.node ] || npm run build --silent
bin=$(node scripts/runtimes.js "$rt")
args=(--config test/runtimes/mocharc.json)
if [ "$#" -gt 0 ]; then
  args+=("$@")
else
  args+=('test/*.test.js') # mocha expands the glob itself
  export MMAP_NATIVE_EXCLUSIONS_CHECK=1
fi
case $rt in
  bun) echo "test-runtime: bun $("$bin" --version)"; cmd=("$bin" node_modules/mocha/bin/mocha.js) ;;
  deno) echo "test-runtime: $("$bin" --version | head -1)"; cmd=("$bin" run -A node_modules/mocha/bin/mocha.js) ;;
  *) echo "test-runtime: unknown runtime $rt (bun or deno)" >&2; exit 2 ;;
esac
rc=0
NO_COLOR=1 "${cmd[@]}" "${args[@]}" </dev/null || rc=$?
echo "test-runtime: mocha under $rt exited with $rc ($(($(date +%s) - start)) s)"
exit "$rc"
