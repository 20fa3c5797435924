// shared-memory.mts: SharedMemory as an ES module consumer sees it, type-checked (never run) by
// test/types.test.js. Every `@ts-expect-error` must be an error.
import mmap, { SharedMemory, Mmap } from 'mmap-native'
import type { SharedMemoryOptions } from 'mmap-native'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
function check<T extends true> (): void {}

check<Equal<typeof mmap.SharedMemory, typeof SharedMemory>>()

const created = new SharedMemory({ create: true, size: 4096 })
const named = new SharedMemory({ name: created.name, create: false, size: 0n, mode: 0o600 })
const fromNull = new SharedMemory({ name: null, create: true, size: 10n })
check<Equal<typeof created.name, string>>()
check<Equal<typeof created.size, number>>()
check<Equal<typeof created.closed, boolean>>()
check<Equal<typeof created.map, Mmap>>()
check<Equal<typeof created.buffer, ArrayBuffer>>()
check<Equal<ReturnType<typeof created.close>, void>>()
check<Equal<ReturnType<typeof created.unlink>, void>>()
const view = new Int32Array(named.buffer, 0, 4)
Atomics.add(view, 0, 1)
created.map.find('x', 0)
{
  using scoped = new SharedMemory({ name: created.name })
  void scoped.size
}
const options: SharedMemoryOptions = { name: 'block', create: true, size: 1, mode: 0o640 }
void new SharedMemory(options)
void new SharedMemory()
void fromNull

// @ts-expect-error: name must be a string
void new SharedMemory({ name: 1 })
// @ts-expect-error: create must be a boolean
void new SharedMemory({ create: 1 })
// @ts-expect-error: size must be an integer (number or bigint)
void new SharedMemory({ create: true, size: '10' })
// @ts-expect-error: no such option
void new SharedMemory({ track: false })
// @ts-expect-error: name is read-only
created.name = 'other'
// @ts-expect-error: SharedMemory takes one options object
void new SharedMemory('block')
