// wrong.mts: calls the types must reject. test/types.test.js runs tsc on this project and expects
// exactly the errors named in the `// error TSnnnn` comments, each on its own line, and no others.
import mmap, { Mmap, open, ACCESS_READ, SEEK_SET } from 'mmap-native'

const m = new Mmap(-1, 4096)
m.get('0') // error TS2345
m.set(0) // error TS2554
m.seek(0, 5) // error TS2345
m.write('text') // error TS2345
m.find({}) // error TS2345
m.slice(0, '1') // error TS2345
m.flush(null) // error TS2345
m.flushAsync(0, 1, { flags: true }) // error TS2322
m.madvise() // error TS2554
m.search('re') // error TS2345
m.findAsync('x', 0, 1, { signal: 'x' }) // error TS2322
const late: number = m.countAsync('x') // error TS2322
m.residency('0') // error TS2345
m.lines(0, 1, { keepEnds: 'yes' }) // error TS2322
const firstLine: string = m.lineOffsets()[0].toString(16).length // error TS2322
m.length = 1 // error TS2540
m.nope() // error TS2339
const s: string = m.read() // error TS2322
open('/tmp/x', { size: 10 }) // error TS2345
open('/tmp/x', { access: ACCESS_READ, prot: 1 }) // error TS2322
open('/tmp/x', { access: mmap.ACCESS_COPY, flags: 2 }) // error TS2322
new Mmap(-1, 1.5, { access: 7 }) // error TS2322
new Mmap(-1, 16, { trackfd: 'yes' }) // error TS2322
const seekSet: 1 = SEEK_SET // error TS2322
mmap.default // error TS2339
void s
void late
void firstLine
void seekSet
