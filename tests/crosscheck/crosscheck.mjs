// Cross-checks fleetload's MQTT codec against mqtt-packet (the parser of MQTT.js), both ways:
//   1. random valid packets made here -> mqtt-packet generate() -> our decoder (tool "decode")
//   2. random valid packets made by our tool -> our encoder -> mqtt-packet parser
// and compares every field. Fixed seeds, so a failure reproduces.
//
// usage: node crosscheck.mjs <path to mqtt_crosscheck_tool> [--count N] [--seed S]
//
// Canonical packet schema (what the tool prints, see packet_json.cpp): {type, ...fields,
// properties}, snake_case names as in src/mqtt/packet.hpp, binary as lowercase hex,
// user_properties as ordered [name, value] pairs, subscription_identifiers as an array.
//
// Where mqtt-packet 9.0.2 departs from the MQTT specification the generators stay inside
// what both accept; each exclusion is marked "mqtt-packet:" here or in packets.mjs:
//   - generate() refuses a CONNECT password without a user name, which MQTT 5 allows
//     (5.0 §3.1.2.9); direction 1 only sends a password with a user name.
//   - generate() refuses an empty ClientId with Clean Start 0 in MQTT 5 too (only 3.1.1
//     forbids it, §3.1.3.1); direction 1 sends an empty ClientId only with Clean Start 1.
//   - its "byte" properties (Payload Format Indicator, Request Problem/Response Information,
//     Retain/Wildcard/Subscription Identifier/Shared Subscription Available) are JS booleans;
//     the spec's values are exactly 0 and 1, so nothing is lost, we map 0/1 <-> false/true.
//   - it groups User Properties into an object {name: value | [values]}: the order between
//     different names is the object's key order, and a repeated name whose first value is the
//     empty string loses that value (`if (result[name][key])` tests truthiness). Direction 1
//     derives the expected wire order from the object it passes; direction 2 builds the
//     expected object with the parser's own grouping rule (groupUserProperties below).
//   - its parser rejects an AUTH packet with Remaining Length 0, which 5.0 §3.15.2.1 allows
//     (Success, no properties); such packets are checked against the spec's bytes instead.
//   - generate() cannot set DUP on SUBSCRIBE/UNSUBSCRIBE correctly (it would set a reserved
//     flag bit), so it is never asked to.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { TYPES_V4, TYPES_V5, PROPS, makeRng, makeValues, genPacket } from './packets.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

function loadMqttPacket () {
  if (!existsSync(join(here, 'node_modules', 'mqtt-packet'))) {
    console.error(`crosscheck: ${join(here, 'node_modules')} has no mqtt-packet; ` +
      'run scripts/setup-deps.sh (it runs `npm ci` in tests/crosscheck)')
    process.exit(2)
  }
  return require('mqtt-packet')
}
const mqtt = loadMqttPacket()

// ---- arguments ---------------------------------------------------------------------------
const argv = process.argv.slice(2)
const tool = argv[0]
if (!tool || !existsSync(tool)) {
  console.error('usage: node crosscheck.mjs <mqtt_crosscheck_tool> [--count N] [--seed S]')
  process.exit(2)
}
let COUNT = 3000 // packets per direction per protocol version
let SEED = 20261126
for (let i = 1; i + 1 < argv.length; i += 2) {
  if (argv[i] === '--count') COUNT = Number(argv[i + 1])
  else if (argv[i] === '--seed') SEED = Number(argv[i + 1])
}
const MAX_REPORTED = 8

// ---- comparison -----------------------------------------------------------------------------
// Plain data for comparing: Buffers become {buffer: hex}, undefined members disappear.
function normalize (x) {
  if (Buffer.isBuffer(x) || x instanceof Uint8Array) return { buffer: Buffer.from(x).toString('hex') }
  if (Array.isArray(x)) return x.map(normalize)
  if (x !== null && typeof x === 'object') {
    const out = {}
    for (const k of Object.keys(x)) if (x[k] !== undefined) out[k] = normalize(x[k])
    return out
  }
  return x
}

// Every difference between `want` and `got` as "path: want X, got Y".
function diff (want, got, path = '', out = []) {
  const isObj = (x) => x !== null && typeof x === 'object'
  if (Array.isArray(want) && Array.isArray(got)) {
    if (want.length !== got.length) out.push(`${path}: want ${want.length} elements, got ${got.length}`)
    for (let i = 0; i < Math.min(want.length, got.length); i++) diff(want[i], got[i], `${path}[${i}]`, out)
  } else if (isObj(want) && isObj(got) && !Array.isArray(want) && !Array.isArray(got)) {
    for (const k of new Set([...Object.keys(want), ...Object.keys(got)])) {
      const p = path ? `${path}.${k}` : k
      if (!(k in got)) out.push(`${p}: missing (want ${JSON.stringify(want[k])})`)
      else if (!(k in want)) out.push(`${p}: unexpected ${JSON.stringify(got[k])}`)
      else diff(want[k], got[k], p, out)
    }
  } else if (want !== got) {
    out.push(`${path || '(root)'}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
  }
  return out
}

// ---- running the tool -----------------------------------------------------------------------
function runTool (args, input) {
  const r = spawnSync(tool, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 })
  if (r.error) throw r.error
  if (r.status !== 0 && r.status !== 1) {
    throw new Error(`${tool} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`)
  }
  if (r.stderr) process.stderr.write(r.stderr)
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l))
}

// ---- direction 1: mqtt-packet encodes, we decode ------------------------------------------
function mqttPacketEncodes (version, seed) {
  const rng = makeRng(seed)
  const v = makeValues(rng)
  const types = version === 5 ? TYPES_V5 : TYPES_V4
  const cases = []
  for (let i = 0; i < COUNT; i++) {
    const { canon, input } = genPacket(rng, v, types[i % types.length], version)
    let bytes
    try {
      bytes = mqtt.generate(input, { protocolVersion: version })
    } catch (e) {
      throw new Error(`mqtt-packet generate() failed on #${i} ${JSON.stringify(normalize(input))}: ${e.message}`)
    }
    cases.push({ canon, hex: bytes.toString('hex') })
  }
  const results = runTool(['decode', '--version', String(version)], cases.map((c) => c.hex).join('\n') + '\n')
  if (results.length !== cases.length) throw new Error(`tool answered ${results.length} lines for ${cases.length} packets`)
  const failures = []
  cases.forEach((c, i) => {
    const r = results[i]
    let problems
    if (r.error) problems = [`our decoder: ${r.error}`]
    else {
      problems = diff(c.canon, r.packet)
      if (r.consumed !== c.hex.length / 2) problems.push(`consumed ${r.consumed} of ${c.hex.length / 2} bytes`)
    }
    if (problems.length) failures.push({ index: i, hex: c.hex, want: c.canon, got: r, problems })
  })
  return { total: cases.length, failures, packets: cases.map((c) => c.canon) }
}

// ---- direction 2: we encode, mqtt-packet parses --------------------------------------------
// mqtt-packet's grouping of User Properties, reproduced rule for rule (see the header note).
function groupUserProperties (pairs) {
  const result = Object.create(null)
  for (const [name, value] of pairs) {
    if (result[name]) {
      if (Array.isArray(result[name])) result[name].push(value)
      else result[name] = [result[name], value]
    } else {
      result[name] = value
    }
  }
  return result
}

function parsedProps (canon) {
  if (!canon || Object.keys(canon).length === 0) return undefined
  const out = {}
  for (const [name, value] of Object.entries(canon)) {
    const [key, kind] = PROPS[name]
    if (kind === 'bool') out[key] = value !== 0
    else if (kind === 'bin') out[key] = Buffer.from(value, 'hex')
    else if (kind === 'ids') out[key] = value.length === 1 ? value[0] : value
    else if (kind === 'user') out[key] = groupUserProperties(value)
    else out[key] = value
  }
  return out
}

// What mqtt-packet's parser should produce for the canonical packet `c`.
function parsedExpectation (c, version) {
  const v5 = version === 5
  const headerQos = ['pubrel', 'subscribe', 'unsubscribe'].includes(c.type) ? 1 : 0
  const e = { cmd: c.type, retain: false, qos: headerQos, dup: false, topic: null, payload: null }
  switch (c.type) {
    case 'connect':
      Object.assign(e, { protocolId: 'MQTT', protocolVersion: c.version, clean: c.clean_start, keepalive: c.keep_alive, properties: parsedProps(c.properties), clientId: c.client_id })
      if (c.will) {
        e.will = { retain: c.will.retain, qos: c.will.qos, properties: c.version === 5 ? parsedProps(c.will.properties) : undefined, topic: c.will.topic, payload: Buffer.from(c.will.payload, 'hex') }
      }
      if (c.username !== null) e.username = c.username
      if (c.password !== null) e.password = Buffer.from(c.password, 'hex')
      break
    case 'connack':
      e.sessionPresent = c.session_present
      if (v5) Object.assign(e, { reasonCode: c.reason_code, properties: parsedProps(c.properties) })
      else e.returnCode = c.reason_code
      break
    case 'publish':
      Object.assign(e, { topic: c.topic, payload: Buffer.from(c.payload, 'hex'), qos: c.qos, retain: c.retain, dup: c.dup, properties: v5 ? parsedProps(c.properties) : undefined })
      if (c.qos > 0) e.messageId = c.packet_id
      break
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      e.messageId = c.packet_id
      if (v5) Object.assign(e, { reasonCode: c.reason_code, properties: parsedProps(c.properties) })
      break
    case 'subscribe':
      e.messageId = c.packet_id
      e.properties = v5 ? parsedProps(c.properties) : undefined
      e.subscriptions = c.subscriptions.map((s) => v5
        ? { topic: s.filter, qos: s.qos, nl: s.no_local, rap: s.retain_as_published, rh: s.retain_handling }
        : { topic: s.filter, qos: s.qos })
      break
    case 'suback':
      Object.assign(e, { messageId: c.packet_id, properties: v5 ? parsedProps(c.properties) : undefined, granted: c.reason_codes })
      break
    case 'unsubscribe':
      Object.assign(e, { messageId: c.packet_id, properties: v5 ? parsedProps(c.properties) : undefined, unsubscriptions: c.filters })
      break
    case 'unsuback':
      e.messageId = c.packet_id
      if (v5) Object.assign(e, { properties: parsedProps(c.properties), granted: c.reason_codes })
      break
    case 'disconnect':
      if (v5) Object.assign(e, { reasonCode: c.reason_code, properties: parsedProps(c.properties) })
      break
    case 'auth':
      Object.assign(e, { reasonCode: c.reason_code, properties: parsedProps(c.properties) })
      break
  }
  return normalize(e)
}

// Parses one packet with a fresh parser (its DISCONNECT and CONNACK code look at the whole
// buffered input, so packets are never concatenated).
function mqttParse (buf, version) {
  const parser = mqtt.parser({ protocolVersion: version })
  const packets = []
  let error = null
  parser.on('packet', (p) => packets.push(p))
  parser.on('error', (e) => { error = error ?? e })
  const left = parser.parse(buf)
  return { packets, error, left }
}

function weEncode (version, seed) {
  const results = runTool(['generate', '--seed', String(seed), '--count', String(COUNT), '--version', String(version)], '')
  const failures = []
  results.forEach((r, i) => {
    if (r.error) {
      failures.push({ index: i, want: r.packet, got: r, problems: [`our encoder: ${r.error}`] })
      return
    }
    const buf = Buffer.from(r.hex, 'hex')
    const c = r.packet
    // mqtt-packet: AUTH with Remaining Length 0 (Success, no properties, 5.0 §3.15.2.1) is
    // valid but its parser rejects it; the spec's bytes are F0 00.
    if (c.type === 'auth' && buf.length === 2) {
      const ok = r.hex === 'f000' && c.reason_code === 0 && Object.keys(c.properties).length === 0
      if (!ok) failures.push({ index: i, hex: r.hex, want: 'f000', got: c, problems: ['short AUTH form'] })
      return
    }
    const { packets, error, left } = mqttParse(buf, version)
    const problems = []
    if (error) problems.push(`mqtt-packet: ${error.message}`)
    else if (packets.length !== 1) problems.push(`mqtt-packet parsed ${packets.length} packets`)
    else if (left !== 0) problems.push(`mqtt-packet left ${left} bytes`)
    let got = null
    if (packets.length === 1) {
      got = normalize(packets[0])
      const headerLen = buf.length - got.length
      if (headerLen < 2 || headerLen > 5) problems.push(`remaining length ${got.length} of ${buf.length} bytes`)
      delete got.length
      problems.push(...diff(parsedExpectation(c, version), got))
    }
    if (problems.length) failures.push({ index: i, hex: r.hex, want: c, got, problems })
  })
  return { total: results.length, failures, packets: results.filter((r) => r.packet).map((r) => r.packet) }
}

// ---- coverage -------------------------------------------------------------------------------
// What the packets of one run exercised, so a generator change that silently stops producing a
// packet type, a property or an edge case fails the test instead of weakening it.
function coverage (packets, version, ourEncoder) {
  const seen = new Set()
  const props = (p) => {
    for (const [k, val] of Object.entries(p ?? {})) {
      seen.add(`property ${k}`)
      if (k === 'subscription_identifiers' && val.length > 1) seen.add('several subscription identifiers')
      if (k === 'user_properties' && new Set(val.map((x) => x[0])).size < val.length) seen.add('repeated user property name')
    }
  }
  for (const c of packets) {
    seen.add(`type ${c.type}`)
    props(c.properties)
    if (c.type === 'connect' && c.will) { seen.add('will'); props(c.will.properties) }
    if (c.type === 'connect' && c.password !== null && c.username === null) seen.add('password without user name')
    if (c.type === 'publish') {
      if (c.payload === '') seen.add('empty payload')
      if (c.payload.length / 2 > 16384) seen.add('3-byte remaining length')
      if (c.topic === '') seen.add('empty topic with topic alias')
    }
    if (c.type === 'subscribe' && c.subscriptions.some((x) => x.filter.startsWith('$share/'))) seen.add('shared subscription')
  }
  const want = [...(version === 5 ? TYPES_V5 : TYPES_V4).map((t) => `type ${t}`), 'will', 'empty payload',
    '3-byte remaining length', 'shared subscription']
  if (version === 5) {
    want.push(...Object.keys(PROPS).map((k) => `property ${k}`), 'several subscription identifiers',
      'repeated user property name', 'empty topic with topic alias')
    // mqtt-packet cannot encode this one (see the header), so only our encoder's run has it.
    if (ourEncoder) want.push('password without user name')
  }
  return want.filter((w) => !seen.has(w))
}

// ---- main ------------------------------------------------------------------------------------
let passed = 0
let failed = 0
let reported = 0
const runs = [
  ['mqtt-packet encodes, fleetload decodes', 4, SEED + 1, mqttPacketEncodes],
  ['mqtt-packet encodes, fleetload decodes', 5, SEED + 2, mqttPacketEncodes],
  ['fleetload encodes, mqtt-packet parses', 4, SEED + 3, weEncode],
  ['fleetload encodes, mqtt-packet parses', 5, SEED + 4, weEncode]
]
for (const [name, version, seed, run] of runs) {
  const { total, failures, packets } = run(version, seed)
  const label = `${name}, MQTT ${version === 5 ? '5' : '3.1.1'} (seed ${seed})`
  console.log(`${label}: ${total - failures.length} passed, ${failures.length} failed`)
  const missing = coverage(packets, version, run === weEncode)
  if (missing.length) {
    console.log(`  coverage: the run never produced: ${missing.join(', ')}`)
    failed++
  }
  passed += total - failures.length
  failed += failures.length
  for (const f of failures) {
    if (reported++ >= MAX_REPORTED) break
    console.log(`  packet #${f.index}${f.hex ? ` hex ${f.hex.length > 400 ? f.hex.slice(0, 400) + '...' : f.hex}` : ''}`)
    for (const p of f.problems.slice(0, 10)) console.log(`    ${p}`)
    console.log(`    want: ${JSON.stringify(f.want)}`.slice(0, 2000))
    console.log(`    got:  ${JSON.stringify(f.got)}`.slice(0, 2000))
  }
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
