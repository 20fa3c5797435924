'use strict'
// binding.js: loads the native addon (a prebuild or the local build) and gives it the error factory.
const path = require('path')
const { systemError } = require('./errors')

// MMAP_NATIVE_ADDON names another build of the addon to load: CI uses it to
// run the suite against the build without mremap().
const binding = process.env.MMAP_NATIVE_ADDON
  ? require(path.resolve(process.env.MMAP_NATIVE_ADDON))
  : require('node-gyp-build')(path.join(__dirname, '..'))

binding.init(systemError)

module.exports = binding
