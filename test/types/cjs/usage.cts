// usage.cts: a CommonJS consumer of mmap-native in TypeScript, type-checked (never run) by
// test/types.test.js with strict and module/moduleResolution nodenext. Every `@ts-expect-error`
// must be an error.
import mmap = require('mmap-native')
import defaultImport from 'mmap-native'
import { Mmap, open, ACCESS_WRITE, constants } from 'mmap-native'
import type { OpenOptions, MmapMatch, Integer } from 'mmap-native'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
function check<T extends true> (): void {}

// require() and the named/default imports are one module.exports.
check<Equal<typeof mmap, typeof defaultImport>>()
check<Equal<typeof mmap.Mmap, typeof Mmap>>()
check<Equal<typeof mmap.constants, typeof constants>>()
check<Equal<typeof mmap.ACCESS_WRITE, 2>>()
// @ts-expect-error: module.exports has no `default` property
mmap.default // eslint-disable-line

const options: OpenOptions = { access: ACCESS_WRITE, create: true, size: 4096 }
const m: mmap.Mmap = open('/tmp/x', options)
const anon = new mmap.Mmap(-1, 16n)
const i: Integer = 3
anon.set(i, 7)
const found: number = m.find('a', i)
const all: MmapMatch[] = [...m.matchAll(/a/g)]
void [found, all]
m.close()
// @ts-expect-error: size needs create: true
open('/tmp/x', { size: 1 })
// @ts-expect-error: no such method
m.findAll('a')
