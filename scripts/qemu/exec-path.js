'use strict'
// exec-path.js: preloaded (NODE_OPTIONS=--require) into every node the qemu stage starts. qemu-user
// runs one foreign binary, but the kernel cannot start another one (no binfmt_misc handler is
// registered for it), so a child process started with process.execPath would fail with ENOEXEC.
// process.execPath here names a small script that starts the same node under qemu again, so the
// suite's child-process probes, mocha's own re-spawn and `sh -c 'exec "$node" ...'` all work.
if (process.env.MM_QEMU_NODE) process.execPath = process.env.MM_QEMU_NODE
