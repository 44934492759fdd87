// Starts Bluesky's reference PDS and a did:plc directory in this process, both on 127.0.0.1 only,
// with a fresh data directory and random secrets, then creates a test account with an app password.
//
// Usage: node run-pds.mjs <data-dir>
// Prints one line when ready:
//   READY pds=http://127.0.0.1:PORT handle=rathaus.test did=did:plc:… app_password=xxxx-xxxx-xxxx-xxxx
// Stops cleanly on SIGTERM/SIGINT. The PLC directory lives in memory, so the data directory is
// wiped on every start (accounts would point at DIDs the new directory does not know).
import crypto from 'node:crypto'
import events from 'node:events'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { createHttpTerminator } from 'http-terminator'
import { PDS, envToCfg, envToSecrets, readEnv } from '@atproto/pds'
import plcServer from '@did-plc/server'

const HOST = '127.0.0.1'
const dataDir = process.argv[2]
if (!dataDir) {
  console.error('usage: node run-pds.mjs <data-dir>')
  process.exit(2)
}

async function freePort() {
  const probe = net.createServer()
  probe.listen(0, HOST)
  await events.once(probe, 'listening')
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  return port
}

const hex = (n) => crypto.randomBytes(n).toString('hex')

fs.rmSync(dataDir, { recursive: true, force: true })
const blobDir = path.join(dataDir, 'blobs')
fs.mkdirSync(blobDir, { recursive: true })

const plcPort = await freePort()
const pdsPort = await freePort()
Object.assign(process.env, {
  PDS_HOSTNAME: 'localhost',
  PDS_PORT: String(pdsPort),
  PDS_DATA_DIRECTORY: dataDir,
  PDS_BLOBSTORE_DISK_LOCATION: blobDir,
  // A host name, not an IP literal: the PDS refuses to resolve DIDs from IP hosts.
  PDS_DID_PLC_URL: `http://localhost:${plcPort}`,
  PDS_JWT_SECRET: hex(16),
  PDS_ADMIN_PASSWORD: hex(12),
  PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: hex(32),
  PDS_DPOP_SECRET: hex(32),
  PDS_INVITE_REQUIRED: 'false',
  PDS_DEV_MODE: 'true',
  PDS_ENABLE_DID_DOC_WITH_SESSION: 'true',
  LOG_ENABLED: process.env.LOG_ENABLED ?? 'false',
})

const plc = plcServer.PlcServer.create({ db: plcServer.Database.mock(), port: plcPort })
const plcHttp = plc.app.listen(plcPort, HOST)
await events.once(plcHttp, 'listening')

// PDS.start() would listen on every interface; listen on loopback ourselves instead.
const env = readEnv()
const pds = await PDS.create(envToCfg(env), envToSecrets(env))
await pds.ctx.sequencer.start()
const server = pds.app.listen(pdsPort, HOST)
server.keepAliveTimeout = 90_000
await events.once(server, 'listening')
const pdsUrl = `http://${HOST}:${pdsPort}`

async function xrpc(method, body, token) {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(`${pdsUrl}/xrpc/${method}`, { method: 'POST', headers, body: JSON.stringify(body) })
  const json = await res.json()
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${JSON.stringify(json)}`)
  return json
}

const handle = 'rathaus.test'
const account = await xrpc('com.atproto.server.createAccount', {
  handle,
  email: 'rathaus@example.test',
  password: hex(12),
})
const appPassword = await xrpc('com.atproto.server.createAppPassword', { name: 'rathaus-tests' }, account.accessJwt)
console.log(`READY pds=${pdsUrl} handle=${handle} did=${account.did} app_password=${appPassword.password}`)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  await createHttpTerminator({ server }).terminate()
  await pds.destroy()
  await createHttpTerminator({ server: plcHttp }).terminate()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
