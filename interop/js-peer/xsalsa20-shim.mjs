// Work-around for xsalsa20 1.2.0, the cipher @libp2p/pnet uses. All its ciphers share one WebAssembly memory,
// but each keeps its own view of it. When one cipher grows the memory, the other views go stale (length 0), and
// their next update grows the memory again by the whole input size. Under load (many concurrent streams on a
// pnet connection) the memory runs away until WebAssembly refuses ("Maximum memory size exceeded") and the
// connection is aborted. Growing the memory once, before any connection exists, to more than any single chunk
// that passes through pnet means no cipher ever grows it again.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const XSalsa20 = require('xsalsa20')

const PREGROW_BYTES = 32 * 1024 * 1024
const warm = XSalsa20(new Uint8Array(24), new Uint8Array(32))
warm.update(new Uint8Array(PREGROW_BYTES))
warm.finalize()
