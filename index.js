'use strict'
// index.js: the public entry point (CommonJS).
const { Mmap, open } = require('./lib/mmap')
const constants = require('./lib/constants')
const { SharedMemory } = require('./lib/shared-memory')

module.exports = { Mmap, open, SharedMemory, constants, ...constants }
