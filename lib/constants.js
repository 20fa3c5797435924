'use strict'
// constants.js: Python's mmap constants; MAP_*, PROT_* and MADV_* only where the platform has them.
const binding = require('./binding')

const constants = {
  ACCESS_DEFAULT: 0,
  ACCESS_READ: 1,
  ACCESS_WRITE: 2,
  ACCESS_COPY: 3,
  SEEK_SET: 0,
  SEEK_CUR: 1,
  SEEK_END: 2,
  ...binding.constants
}

module.exports = Object.freeze(constants)
