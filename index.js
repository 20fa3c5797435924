'use strict'
// index.js: the public entry point (CommonJS).
const { Mmap, open } = require('./lib/mmap')
const constants = require('./lib/constants')

module.exports = { Mmap, open, constants, ...constants }
