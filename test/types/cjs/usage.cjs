// usage.cjs: plain JavaScript using require(), checked with checkJs: the types reach JS users too.
'use strict'
const mmap = require('mmap-native')
const { Mmap, ACCESS_READ } = require('mmap-native')

/** @type {import('mmap-native').Mmap} */
const m = new Mmap(-1, 4096, { access: ACCESS_READ })
/** @type {number} */
const at = m.find(Buffer.from('x'))
/** @type {Buffer} */
const bytes = mmap.open(__filename).read(10)
// @ts-expect-error: find() needs what to look for
m.find()
// @ts-expect-error: module.exports has no `default` property
console.log(mmap.default, at, bytes)
