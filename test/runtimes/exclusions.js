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

const DENO_KILL = 'Deno survives a SIGBUS it sends itself with process.kill() even without the module loaded, so the default action cannot be observed'

const DENO_POOL = 'Deno runs Node-API async work on its own thread pool, which starts threads (a stack mapping each) as the load asks, so the mapping count measures that pool'

const DENO_RANDOM_FILL = 'touches a view from pool threads with crypto.randomFill() while close() detaches it; Deno\'s randomFill() makes a Uint8Array over the buffer on a later tick, which throws (uncaught) once the buffer is detached: a plain ArrayBuffer detached by structuredClone()\'s transfer does the same with no map'

const EXCLUSIONS = {
  bun: {
    'esm: the "exports" map keeps lib/ private: deep imports fail with ERR_PACKAGE_PATH_NOT_EXPORTED for import and require':
      'Bun refuses the deep import too, but with the code ERR_MODULE_NOT_FOUND',
    'views outlive the Mmap object keeps a shared file map alive through a subarray after the Mmap is collected':
      'counts the maps released after gc(); JavaScriptCore\'s collector does not promise to finalize an unreachable object on a forced collection',
    'worker threads survives terminate() of workers holding maps they never closed':
      'counts the maps released when a terminated worker\'s environment is torn down; Bun frees them later, with the process',
    'fault guard races survives process.on(\'SIGBUS\') listeners added and removed while worker threads fault':
      'loads the module in the workers only; Bun sets SIGBUS to the default action whenever the main thread\'s last SIGBUS listener goes (strace: rt_sigaction(SIGBUS, SIG_DFL)), and only a main thread that loaded the module holds Bun\'s handler in place (the same race with the module also loaded on the main thread passed 3 of 3 runs)',
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
    'leaks thousands of flushAsync() calls leave no mappings nor descriptors behind': DENO_POOL,
    'leaks thousands of findAsync, rfindAsync, countAsync and prefetch calls (some aborted, some closed under) leave nothing behind': DENO_POOL,
    'fault guard under concurrency survives close() while pool threads touch a view of a truncated file, and still guards afterwards': DENO_RANDOM_FILL,
    'fault guard under concurrency survives a growing resize() while pool threads touch a view of a truncated file': DENO_RANDOM_FILL,
    'fault guard under concurrency leaves the map and m.buffer working after a resize() that failed (sealed memfd)':
      'python3 starts the child (to hand it a sealed memfd as fd 3) with node\'s command line (-e); Deno translates node\'s flags only for children it starts itself, so deno says "unexpected argument \'-e\'"',
    'a file truncated under its map leaves a SIGBUS that is not a fault in a map to the default action': DENO_KILL,
    'fault guard races dies by a kill()-sent SIGBUS with no listener ever, as without the module': DENO_KILL,
    'fault guard races dies by a kill()-sent SIGBUS with no map and no listener, as without the module': DENO_KILL,
    'fault guard races stays loaded after the last worker that loaded it goes: a SIGBUS sent by kill() then still dies by SIGBUS': DENO_KILL,
    'fault guard races survives resize() of a writable MAP_PRIVATE map with I/O in flight while another process truncates and regrows the file':
      'starts crypto.randomFill() on a view that resize() then detaches; Deno\'s randomFill() makes a Uint8Array over the buffer on a later tick, which throws (uncaught: "Cannot perform Construct on a detached ArrayBuffer") once the buffer is detached',
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
const GUARD = 'fault guard under concurrency '
const SIGBUS_ADDR = 'this qemu-user reports the wrong si_addr for a SIGBUS past a file\'s end (scripts/qemu/probe.c shows it without the addon; qemu-user 7.2 for 32-bit ARM reports the next page), so no fault guard can tell which page to replace: the guard backs the wrong page and the access faults again, forever (the test\'s child hangs until its time limit)'
EXCLUSIONS['qemu:sigbus-addr'] = {
  [TRUNCATED + 'makes the module\'s own reads of the lost part throw ERR_MMAP_TRUNCATED']: SIGBUS_ADDR,
  [TRUNCATED + 'makes the module\'s own writes to the lost part throw ERR_MMAP_TRUNCATED']: SIGBUS_ADDR,
  [TRUNCATED + 'lets views read the lost part as zeros without killing the process']: SIGBUS_ADDR,
  [TRUNCATED + 'keeps the rest of the map working and size() reports the new size']: SIGBUS_ADDR,
  [TRUNCATED + 'keeps failing calls on the lost part after a view touched it first']: SIGBUS_ADDR,
  [TRUNCATED + 'shows the file\'s bytes again, to calls and new views, when the file grows back']: SIGBUS_ADDR,
  [TRUNCATED + 'recovers through resize(), which grows the file back']: SIGBUS_ADDR,
  [TRUNCATED + 'guards read-only, copy-on-write and offset maps too']: SIGBUS_ADDR,
  'failed operations change nothing writes into pages a full tmpfs cannot back fail with a coded error, write nothing and do not crash': SIGBUS_ADDR,
  'findAsync, rfindAsync, countAsync, prefetch: close, resize and truncation while in flight rejects with ERR_MMAP_TRUNCATED when the file is cut under a scan or a prefetch, and the process lives': SIGBUS_ADDR,
  [GUARD + 'survives close() while pool threads touch a view of a truncated file, and still guards afterwards']: SIGBUS_ADDR,
  [GUARD + 'survives a growing resize() while pool threads touch a view of a truncated file']: SIGBUS_ADDR,
  [GUARD + 'costs a few mappings, not one per page, when views read many lost pages (vm.max_map_count)']: SIGBUS_ADDR,
  [GUARD + 'fails a call only for faults in its own range, not for views touched on pool threads']: SIGBUS_ADDR,
  [GUARD + 'keeps copy-on-write writes made after the file grew back when a module call gives back lost pages']: SIGBUS_ADDR,
  [GUARD + 'keeps copy-on-write writes made through a view taken before the truncation']: SIGBUS_ADDR,
  [GUARD + 'shows the file\'s bytes to new views once a truncated file grows back, before any other call']: SIGBUS_ADDR,
  [GUARD + 'keeps the guard when a process.on(\'SIGBUS\') listener is added or removed, and the listener hears kill()']: SIGBUS_ADDR
}
const MADVISE_ANY = 'this qemu-user accepts any madvise() advice as a no-op (scripts/qemu/probe.c shows it without the addon), so no advice is refused'
EXCLUSIONS['qemu:madvise-any'] = {
  'read and write madvise(option, start, length) reports an option the kernel refuses as EINVAL from madvise': MADVISE_ANY,
  'differential: CPython mmap as the oracle agrees with CPython on 200 random scenarios: values, errors, position, length, map and file bytes':
    MADVISE_ANY + ', while the oracle, the host\'s CPython, gets EINVAL from the real kernel',
  'findAsync, rfindAsync, countAsync, prefetch: close, resize and truncation while in flight rejects with ERR_MMAP_TRUNCATED when the file is cut under a scan or a prefetch, and the process lives':
    MADVISE_ANY + ': prefetch() asks madvise(MADV_POPULATE_READ) to read the pages, which then touches none of the lost ones, so it resolves where the kernel fails it (arm64 run: \'ok:undefined\' for ERR_MMAP_TRUNCATED)'
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
