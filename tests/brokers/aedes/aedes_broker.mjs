// aedes (the pinned npm broker of package.json) for the e2e tests, as a second broker
// implementation beside mosquitto: MQTT 3.1.1 only, in-memory persistence (retained
// messages and persistent sessions live as long as this process).
//
//   node aedes_broker.mjs [--refuse REGEX] [--modules DIR]
//
// Listens on a free 127.0.0.1 port (port 0) and prints every event as one JSON line on
// stdout, the first being {"event":"listening","port":N}: the tests read the port from it
// (no sleeps) and count what the broker did from the rest, independently of fleetload:
//   connect   {client, version, clean}      every CONNECT, whatever the answer
//   connack   {client, code}                every CONNACK written
//   subscribe {client, filter, qos, refused} every filter of every SUBSCRIBE
//   publish   {client, topic, qos, retain}  every PUBLISH a client sent (after its ack)
//   deliver   {client, topic, qos, retain}  every PUBLISH handed to a subscriber
//   close     {client, error?}              a client went away
// --refuse REGEX: filters matching it are refused (SUBACK 0x80, MQTT 3.1.1 §3.9.3).
// --modules DIR: a node_modules dir holding aedes, instead of the one next to this file
// (the C++ fixture passes FLEETLOAD_AEDES_NODE_MODULES here when it is set).
import net from 'node:net'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
let modules = path.join(here, 'node_modules')
let refuse = null
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; ++i) {
  if (argv[i] === '--refuse' && i + 1 < argv.length) {
    refuse = new RegExp(argv[++i])
  } else if (argv[i] === '--modules' && i + 1 < argv.length) {
    modules = argv[++i]
  } else {
    process.stderr.write(`aedes_broker: unknown argument "${argv[i]}"\n`)
    process.exit(2)
  }
}
// Resolution from a file inside `modules` looks in `modules` itself first.
const require = createRequire(path.join(modules, 'resolve-from-here.js'))
const { Aedes } = await import(pathToFileURL(require.resolve('aedes')).href)

// stdout is a file under the tests (synchronous writes): lines are complete and in order.
const log = (event, fields) => process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
const id = (client) => (client && client.id) || null

const broker = await Aedes.createBroker({
  // $SYS heartbeats are publishes of the broker's own: none during a test.
  heartbeatInterval: 3600000,
  preConnect (client, packet, done) {
    log('connect', { client: packet.clientId, version: packet.protocolVersion, clean: packet.clean })
    done(null, true)
  },
  authorizeSubscribe (client, sub, done) {
    const refused = refuse !== null && refuse.test(sub.topic)
    log('subscribe', { client: id(client), filter: sub.topic, qos: sub.qos, refused })
    // A null subscription is aedes' way to refuse one filter with SUBACK 0x80.
    done(null, refused ? null : sub)
  },
  authorizeForward (client, packet) {
    log('deliver', { client: id(client), topic: packet.topic, qos: packet.qos, retain: packet.retain })
    return packet
  }
})
broker.on('connackSent', (packet, client) => log('connack', { client: id(client), code: packet.returnCode }))
broker.on('publish', (packet, client) => {
  if (client) log('publish', { client: id(client), topic: packet.topic, qos: packet.qos, retain: packet.retain })
})
broker.on('clientDisconnect', (client) => log('close', { client: id(client) }))
broker.on('clientError', (client, err) => log('close', { client: id(client), error: err.message }))
broker.on('connectionError', (client, err) => log('close', { client: id(client), error: err.message }))

const server = net.createServer(broker.handle)
server.listen(0, '127.0.0.1', () => log('listening', { port: server.address().port }))
const stop = () => server.close(() => broker.close(() => process.exit(0)))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
