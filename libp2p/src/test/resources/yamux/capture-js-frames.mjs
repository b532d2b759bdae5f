// Regenerates js-yamux-frames.csv: run from a directory where the js-libp2p interop peer (/work/shared/interop/js-peer)
// was installed with npm ci: node capture-js-frames.mjs. Prints every frame each muxer sends as one JSON line.
import './node20-shims.mjs'
import { yamux } from '@chainsafe/libp2p-yamux'
import { multiaddrConnectionPair } from '@libp2p/utils'

const [outConn, inConn] = multiaddrConnectionPair()
const log = (who) => (conn) => {
  const orig = conn.sendData.bind(conn)
  conn.sendData = (data) => {
    const bytes = data.subarray()
    console.log(JSON.stringify({ from: who, hex: Buffer.from(bytes).toString('hex') }))
    return orig(data)
  }
}
log('client')(outConn)
log('server')(inConn)
const factory = yamux({ enableKeepAlive: true })()
const client = factory.createStreamMuxer(outConn)
const server = factory.createStreamMuxer(inConn)
server.addEventListener('stream', (evt) => {
  const s = evt.detail
  s.addEventListener('message', (e) => {
    console.log(JSON.stringify({ event: 'server got', len: e.data.byteLength }))
  })
  s.addEventListener('remoteCloseWrite', () => { s.close() })
})
await new Promise(r => setTimeout(r, 50))
const s = await client.createStream()
await new Promise(r => setTimeout(r, 20))
s.send(new TextEncoder().encode('hello'))
await new Promise(r => setTimeout(r, 20))
s.send(new Uint8Array(1000))
await new Promise(r => setTimeout(r, 20))
await s.close()
await new Promise(r => setTimeout(r, 50))
const s2 = await client.createStream()
await new Promise(r => setTimeout(r, 20))
s2.abort(new Error('x'))
await new Promise(r => setTimeout(r, 50))
await client.close()
await new Promise(r => setTimeout(r, 50))
process.exit(0)
