'use strict'
// exclusions.js: the tests the other runtimes' stages and the emulated (qemu-user) stages leave
// out, each with its reason (a mocha root-hook plugin, loaded by test/runtimes/mocharc.json, which
// scripts/test-runtime.sh and scripts/qemu/test.sh use).
// An excluded test is skipped with "(skipped: <runtime>: <reason>)" in its title, and the run
// fails if an entry no longer names a test, so the list (and the README's copy of it) stays true.
// Keys are mocha's full titles (describe titles, then the test's).
const { runtime, skip } = require('../helpers')

const NODE_CLI = 'starts a child with node\'s command line (-e with ESM, --input-type, ulimit + exec of node), which this runtime does not take'

const DENO_WORKERS = 'Deno\'s worker_threads: a worker that ends by closing its port exits with code 1, and the Node-API ' +
  'environment of a worker that ends is not torn down (no finalizers, no cleanup hooks), so its maps are released with the process'

const BAD_REGEXP = 'examples: bad input gives one clear line on stderr and exit status 2 grep.js ( '
const JSC_REGEXP = 'expects V8\'s wording of the regular expression\'s SyntaxError; JavaScriptCore says \'missing )\' (grep.js still exits 2 with one line)'

const DENO_SPAWN = 'hands its scenarios to CPython through spawnSync()\'s input; Deno\'s spawnSync() never returns when the input and the output both pass a pipe\'s capacity (spawnSync(\'cat\', { input: 200 KB }) hangs too)'

const EXCLUSIONS = {
  bun: {
    'esm: the "exports" map keeps lib/ private: deep imports fail with ERR_PACKAGE_PATH_NOT_EXPORTED for import and require':
      'Bun refuses the deep import too, but with the code ERR_MODULE_NOT_FOUND',
    'views outlive the Mmap object keeps a shared file map alive through a subarray after the Mmap is collected':
      'counts the maps released after gc(); JavaScriptCore\'s collector does not promise to finalize an unreachable object on a forced collection',
    'worker threads survives terminate() of workers holding maps they never closed':
      'counts the maps released when a terminated worker\'s environment is torn down; Bun frees them later, with the process',
    [BAD_REGEXP + '<file> → exit 2: grep.js: invalid regular expression \'(\': Unterminated group']: JSC_REGEXP,
    [BAD_REGEXP + '<missing> → exit 2: grep.js: invalid regular expression \'(\': Unterminated group']: JSC_REGEXP
  },
  deno: {
    'constants: ESM entry index.mjs gives the same Mmap class, open and constants as require()': NODE_CLI,
    'constants: ESM entry import \'mmap-native\' resolves to index.mjs through the "exports" map': NODE_CLI,
    'esm: the "exports" map import { Mmap, open, ACCESS_READ } by name loads index.mjs and require() loads index.js, one module': NODE_CLI,
    'esm: the "exports" map a module loaded by require() first is the one import gives': NODE_CLI,
    'esm: the "exports" map keeps lib/ private: deep imports fail with ERR_PACKAGE_PATH_NOT_EXPORTED for import and require': NODE_CLI,
    'esm: the "exports" map exports package.json (for tools that read the version) to require and import': NODE_CLI,
    'types: index.d.ts declares exactly what the module exports every export, constant and Mmap member of the runtime is declared, and nothing more': NODE_CLI,
    'types: index.d.ts declares exactly what the module exports the check catches an undeclared export and a declared member the runtime lacks': NODE_CLI,
    'failed operations change nothing a resize() past RLIMIT_FSIZE fails with EFBIG and changes nothing; one within the limit works': NODE_CLI,
    'failed operations change nothing writes into pages a full tmpfs cannot back fail with a coded error, write nothing and do not crash': NODE_CLI,
    'resize (default build) a failed resize leaves everything as it was RLIMIT_FSIZE: growing past the limit fails with EFBIG (child process under ulimit -f)': NODE_CLI,
    'transferring mapped memory copies a mapped buffer given to structuredClone() with a transfer list, and keeps it attached':
      'Deno moves an external ArrayBuffer given in a transfer list (Node copies it); see the README on Deno',
    'transferring mapped memory never moves a mapped buffer through postMessage() with a transfer list':
      'Deno moves an external ArrayBuffer given in a transfer list (Node copies it); see the README on Deno',
    'differential: CPython mmap as the oracle agrees with CPython on 200 random scenarios: values, errors, position, length, map and file bytes': DENO_SPAWN,
    'differential: CPython mmap as the oracle reaches every method, every error the module throws for bad input, and every map kind': DENO_SPAWN,
    'examples: flags and exit statuses as the tools they imitate grep.js stops quietly when its reader closes the pipe early (| head -1)':
      'through `| head -1` the example\'s first line comes out empty under Deno (Deno\'s stdout to a pipe its reader closes early); the other grep.js tests show the same example printing its lines under Deno',
    'README checker: how it reads and runs blocks runs a block with an import statement as an ES module, with the package importable':
      'runs the block as an .mjs file in a temp folder, where Deno does not resolve the bare specifier mmap-native through node_modules (it asks for npm: or a deno.json)',
    'README checker: how it reads and runs blocks catches a block that throws, an unhandled rejection, and the code of what it threw': NODE_CLI,
    'leaks thousands of flushAsync() calls leave no mappings nor descriptors behind':
      'Deno runs Node-API async work on its own thread pool, which starts threads (a stack mapping each) as the load asks, so the mapping count measures that pool',
    'a file truncated under its map leaves a SIGBUS that is not a fault in a map to the default action':
      'Deno survives a SIGBUS it sends itself with process.kill() even without the module loaded, so the default action cannot be observed',
    'worker threads leaves no descriptor of open() for Node to close when a worker exits': DENO_WORKERS,
    'worker threads survives workers that exit without closing their maps, and releases those maps': DENO_WORKERS,
    'worker threads survives terminate() of workers holding maps they never closed': DENO_WORKERS,
    'worker threads shares the bytes of a file map between a worker and the main thread': DENO_WORKERS,
    'worker threads never lets a view sent to a worker reach the memory after close()':
      'Deno moves an external ArrayBuffer given in a transfer list (Node copies it): the worker shares the map until close(), then reads zeros; see the README on Deno'
  }
}

// What qemu-user (scripts/qemu/test.sh) does differently from a Linux kernel.
EXCLUSIONS.qemu = {
  'memory a view may still reach is never unmapped under it leaves a tombstone over a closed map while a view lives, and unmaps it once the view is collected':
    'reads the VmFlags of /proc/self/smaps, which qemu-user makes up for the guest rather than reading the kernel\'s'
}

// What scripts/qemu/probe.c (plain C, no addon) found this qemu-user doing wrong for its guest
// (MM_QEMU_DEFECTS): the tests that depend on it are skipped only where the probe finds the defect.
const TRUNCATED = 'a file truncated under its map '
const SIGBUS_ADDR = 'this qemu-user reports the wrong si_addr for a SIGBUS past a file\'s end (scripts/qemu/probe.c shows it without the addon; qemu-user 7.2 for 32-bit ARM reports the next page), so no fault guard can tell which page to replace'
EXCLUSIONS['qemu:sigbus-addr'] = {
  [TRUNCATED + 'makes the module\'s own reads of the lost part throw ERR_MMAP_TRUNCATED']: SIGBUS_ADDR,
  [TRUNCATED + 'makes the module\'s own writes to the lost part throw ERR_MMAP_TRUNCATED']: SIGBUS_ADDR,
  [TRUNCATED + 'lets views read the lost part as zeros without killing the process']: SIGBUS_ADDR,
  [TRUNCATED + 'keeps the rest of the map working and size() reports the new size']: SIGBUS_ADDR,
  [TRUNCATED + 'keeps failing calls on the lost part after a view touched it first']: SIGBUS_ADDR,
  [TRUNCATED + 'shows the file\'s bytes again, to calls and new views, when the file grows back']: SIGBUS_ADDR,
  [TRUNCATED + 'recovers through resize(), which grows the file back']: SIGBUS_ADDR,
  [TRUNCATED + 'guards read-only, copy-on-write and offset maps too']: SIGBUS_ADDR,
  'failed operations change nothing writes into pages a full tmpfs cannot back fail with a coded error, write nothing and do not crash': SIGBUS_ADDR
}
const MADVISE_ANY = 'this qemu-user accepts any madvise() advice as a no-op (scripts/qemu/probe.c shows it without the addon), so no advice is refused'
EXCLUSIONS['qemu:madvise-any'] = {
  'read and write madvise(option, start, length) reports an option the kernel refuses as EINVAL from madvise': MADVISE_ANY,
  'differential: CPython mmap as the oracle agrees with CPython on 200 random scenarios: values, errors, position, length, map and file bytes':
    MADVISE_ANY + ', while the oracle, the host\'s CPython, gets EINVAL from the real kernel'
}
EXCLUSIONS['qemu:prot-bits'] = {
  'bad input answers every wrong value with the coded error the error table names, on an open map':
    'this qemu-user refuses mmap() with unknown PROT_* bits (EINVAL) where Linux ignores them, and accepts any madvise() advice (scripts/qemu/probe.c shows both without the addon)'
}
EXCLUSIONS['qemu:mmap-offset-64'] = {
  'sizes past 32 bits maps windows at file offsets past 4 GiB and 8 GiB (64-bit file offsets), reading and writing there':
    'this qemu-user maps the low 32 bits of a file offset past 4 GiB for a 32-bit guest (scripts/qemu/probe.c shows it without the addon; qemu-user 7.2\'s mmap2), though the addon passes the whole 64-bit offset'
}

EXCLUSIONS['qemu-any'] = {}

const emulated = Boolean(process.env.MM_QEMU_NODE)
const defects = (process.env.MM_QEMU_DEFECTS || '').split(/\s+/).filter(Boolean)
const table = emulated
  ? Object.assign({}, EXCLUSIONS.qemu, EXCLUSIONS['qemu-any'],
    ...defects.map((d) => EXCLUSIONS[`qemu:${d}`] || {}))
  : EXCLUSIONS[runtime] || {}
const label = emulated ? `qemu-user (${process.arch})` : runtime
const seen = new Set()

exports.EXCLUSIONS = EXCLUSIONS
exports.mochaHooks = {
  beforeEach () {
    const title = this.currentTest.fullTitle()
    if (Object.prototype.hasOwnProperty.call(table, title)) {
      seen.add(title)
      skip(this, `${label}: ${table[title]}`)
    }
  },
  afterAll () {
    // Only a run of the whole suite can tell that an entry names no test.
    if (process.env.MMAP_NATIVE_EXCLUSIONS_CHECK !== '1') return
    const stale = Object.keys(table).filter((title) => !seen.has(title))
    if (stale.length > 0) throw new Error(`exclusions for ${label} that name no test:\n  ${stale.join('\n  ')}`)
  }
}
