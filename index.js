'use strict'
// index.js: the public entry point (CommonJS).
const { Mmap } = require('./lib/mmap')
const { open } = require('./lib/open')
const constants = require('./lib/constants')
const { SharedMemory } = require('./lib/shared-memory')

module.exports = { Mmap, open, SharedMemory, constants, ...constants }
