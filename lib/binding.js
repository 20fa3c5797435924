'use strict'
// binding.js: loads the native addon (the local build or a prebuild) and gives it the error factory.
const path = require('path')
const { systemError } = require('./errors')
const { load } = require('./load')

// MMAP_NATIVE_ADDON names another build of the addon to load: CI uses it to
// run the suite against the build without mremap().
const binding = process.env.MMAP_NATIVE_ADDON
  ? require(path.resolve(process.env.MMAP_NATIVE_ADDON))
  : load(path.join(__dirname, '..'))

binding.init(systemError, require('buffer').constants.MAX_LENGTH)

module.exports = binding
