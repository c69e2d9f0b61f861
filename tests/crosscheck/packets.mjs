// Random valid MQTT packets for crosscheck.mjs, built twice over: as the input object
// mqtt-packet's generate() takes, and as the canonical object our decoder must return (the
// schema is described in crosscheck.mjs, which also lists where mqtt-packet departs from the
// specification; the generators below stay inside what both accept, marked "mqtt-packet:").
import { Buffer } from 'node:buffer'

// ---- random numbers (mulberry32: small, seedable, same everywhere) ------------------------
export function makeRng (seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const below = (n) => Math.floor(next() * n)
  return {
    below,
    range: (lo, hi) => lo + below(hi - lo + 1),
    chance: (percent) => below(100) < percent,
    pick: (arr) => arr[below(arr.length)],
    u32: () => below(0x10000) * 0x10000 + below(0x10000)
  }
}

// ---- packet vocabulary ----------------------------------------------------------------------
export const TYPES_V4 = ['connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect']
export const TYPES_V5 = [...TYPES_V4, 'auth']

// Reason codes each packet may carry (5.0 §2.4).
export const REASONS = {
  connack: [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90,
    0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  pubcomp: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91],
  disconnect: [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90,
    0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1,
    0xA2],
  auth: [0x00, 0x18, 0x19]
}

// canonical name -> [mqtt-packet name, kind, packets that may carry it (5.0 §2.2.2.2)]
const ACKS = ['puback', 'pubrec', 'pubrel', 'pubcomp']
export const PROPS = {
  payload_format_indicator: ['payloadFormatIndicator', 'bool', ['publish', 'will']],
  message_expiry_interval: ['messageExpiryInterval', 'u32', ['publish', 'will']],
  content_type: ['contentType', 'str', ['publish', 'will']],
  response_topic: ['responseTopic', 'topic', ['publish', 'will']],
  correlation_data: ['correlationData', 'bin', ['publish', 'will']],
  subscription_identifiers: ['subscriptionIdentifier', 'ids', ['publish', 'subscribe']],
  session_expiry_interval: ['sessionExpiryInterval', 'u32', ['connect', 'connack', 'disconnect']],
  assigned_client_identifier: ['assignedClientIdentifier', 'str', ['connack']],
  server_keep_alive: ['serverKeepAlive', 'u16', ['connack']],
  authentication_method: ['authenticationMethod', 'str', ['connect', 'connack', 'auth']],
  authentication_data: ['authenticationData', 'bin', ['connect', 'connack', 'auth']],
  request_problem_information: ['requestProblemInformation', 'bool', ['connect']],
  will_delay_interval: ['willDelayInterval', 'u32', ['will']],
  request_response_information: ['requestResponseInformation', 'bool', ['connect']],
  response_information: ['responseInformation', 'str', ['connack']],
  server_reference: ['serverReference', 'str', ['connack', 'disconnect']],
  reason_string: ['reasonString', 'str', ['connack', ...ACKS, 'suback', 'unsuback', 'disconnect', 'auth']],
  receive_maximum: ['receiveMaximum', 'u16nz', ['connect', 'connack']],
  topic_alias_maximum: ['topicAliasMaximum', 'u16', ['connect', 'connack']],
  topic_alias: ['topicAlias', 'u16nz', ['publish']],
  maximum_qos: ['maximumQoS', 'bit', ['connack']],
  retain_available: ['retainAvailable', 'bool', ['connack']],
  user_properties: ['userProperties', 'user', ['connect', 'connack', 'publish', 'will', ...ACKS,
    'subscribe', 'suback', 'unsubscribe', 'unsuback', 'disconnect', 'auth']],
  maximum_packet_size: ['maximumPacketSize', 'u32nz', ['connect', 'connack']],
  wildcard_subscription_available: ['wildcardSubscriptionAvailable', 'bool', ['connack']],
  subscription_identifier_available: ['subscriptionIdentifiersAvailable', 'bool', ['connack']],
  shared_subscription_available: ['sharedSubscriptionAvailable', 'bool', ['connack']]
}

// ---- random values --------------------------------------------------------------------------
// ASCII plus 2-, 3- and 4-byte UTF-8 characters and U+FEFF (must not be stripped, §1.5.4).
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'
const EXOTIC = ['é', 'ß', '€', '水', '😀', '𝄞', '\uFEFF', '\uFFFD', '"', '\\', ' ', '\u00A0']

export function makeValues (rng) {
  const text = (max) => {
    const n = rng.below(max + 1)
    let s = ''
    while (Buffer.byteLength(s) < n) s += rng.chance(12) ? rng.pick(EXOTIC) : rng.pick(ALNUM)
    return s
  }
  const level = (max) => text(max).replace(/[+#/]/g, 'x')
  const topicName = () => {
    let s = (rng.chance(5) ? '$SYS/' : '') + (rng.chance(5) ? '/' : '')
    const levels = rng.range(1, 5)
    for (let i = 0; i < levels; i++) s += (i ? '/' : '') + level(12)
    return s === '' ? 't' : s
  }
  const topicFilter = () => {
    const share = rng.chance(10) ? `$share/g${rng.below(1000)}/` : ''
    let s = ''
    const levels = rng.range(1, 5)
    for (let i = 0; i < levels; i++) {
      s += i ? '/' : ''
      if (i + 1 === levels && rng.chance(15)) s += '#'
      else if (rng.chance(15)) s += '+'
      else s += level(10)
    }
    return share + (s === '' ? 'f' : s) // a filter is never empty (§4.7.3)
  }
  const bytes = (max) => {
    const b = Buffer.alloc(rng.below(max + 1))
    for (let i = 0; i < b.length; i++) b[i] = rng.below(256)
    return b
  }
  const edge = (edges, gen, pct = 20) => rng.chance(pct) ? rng.pick(edges) : gen()
  return {
    text,
    topicName,
    topicFilter,
    bytes,
    packetId: () => edge([1, 127, 128, 256, 65535], () => rng.range(1, 65535)),
    u32: () => edge([0, 1, 255, 65536, 0xFFFFFFFF], rng.u32),
    u16: (min) => edge([min, 65535], () => rng.range(min, 65535), 15),
    subId: () => edge([1, 127, 128, 16383, 16384, 2097151, 268435455],
      () => rng.range(1, 268435455), 30),
    qos: () => rng.below(3),
    reason: (type) => rng.chance(40) ? 0 : rng.pick(REASONS[type])
  }
}

export function shuffle (rng, arr) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [arr[i], arr[j]] = [arr[j], arr[i]]
  }
  return arr
}

// Random properties for `type` ('will' for Will Properties): {canon, input}, where `input`
// is the mqtt-packet properties object (or undefined) and `canon` what our decoder must give.
export function genProps (rng, v, type) {
  const canon = {}
  const input = {}
  if (rng.chance(25)) return { canon, input: rng.chance(50) ? undefined : input }
  const names = shuffle(rng, Object.keys(PROPS).filter((n) => PROPS[n][2].includes(type)))
  for (const name of names) {
    if (name === 'authentication_data') continue // decided together with the method
    if (!rng.chance(35)) continue
    const [key, kind] = PROPS[name]
    let value
    switch (kind) {
      case 'bool': value = rng.below(2); input[key] = value === 1; break
      case 'bit': value = rng.below(2); input[key] = value; break
      case 'u32': value = v.u32(); input[key] = value; break
      case 'u32nz': value = rng.chance(20) ? 1 : rng.range(1, 0xFFFFFFFF); input[key] = value; break
      case 'u16': value = v.u16(0); input[key] = value; break
      case 'u16nz': value = v.u16(1); input[key] = value; break
      case 'str': value = v.text(name === 'assigned_client_identifier' ? 23 : 20); input[key] = value; break
      case 'topic': value = v.topicName(); input[key] = value; break
      case 'bin': { const b = v.bytes(24); value = b.toString('hex'); input[key] = b; break }
      case 'ids': {
        value = []
        const n = type === 'publish' ? rng.range(1, 3) : 1
        for (let i = 0; i < n; i++) value.push(v.subId())
        input[key] = n === 1 && rng.chance(50) ? value[0] : [...value]
        break
      }
      case 'user': {
        const obj = {}
        const n = rng.range(1, 4)
        for (let i = 0; i < n; i++) {
          const k = v.text(8)
          const val = v.text(16)
          if (Object.hasOwn(obj, k)) obj[k] = [].concat(obj[k], val)
          else obj[k] = rng.chance(20) ? [val, v.text(6)] : val
        }
        input[key] = obj
        // generate() writes the object's own keys in order, each value array in order.
        value = []
        for (const k of Object.getOwnPropertyNames(obj)) {
          for (const val of [].concat(obj[k])) value.push([k, val])
        }
        break
      }
    }
    canon[name] = value
    if (name === 'authentication_method' && rng.chance(35)) {
      const b = v.bytes(32)
      canon.authentication_data = b.toString('hex')
      input.authenticationData = b
    }
  }
  return { canon, input }
}

// A random valid packet as {canon, input}: `input` for mqtt-packet generate(), `canon` what our
// decoder must produce from the bytes.
export function genPacket (rng, v, type, version) {
  const v5 = version === 5
  const noProps = () => ({ canon: {}, input: undefined })
  const props = (t) => v5 ? genProps(rng, v, t) : noProps()
  switch (type) {
    case 'connect': {
      const clientId = rng.chance(10) ? '' : v.text(23)
      // mqtt-packet: an empty ClientId needs Clean Start 1, even in MQTT 5.
      const clean = clientId === '' ? true : rng.chance(50)
      const keepalive = rng.chance(20) ? rng.pick([0, 65535]) : rng.below(65536)
      const p = props('connect')
      const canon = { type, version, clean_start: clean, keep_alive: keepalive, client_id: clientId, will: null, username: null, password: null, properties: p.canon }
      const input = { cmd: type, protocolId: 'MQTT', protocolVersion: version, clean, keepalive, clientId, properties: p.input }
      if (rng.chance(40)) {
        const wp = props('will')
        const payload = v.bytes(rng.chance(10) ? 300 : 40)
        const w = { topic: v.topicName(), qos: v.qos(), retain: rng.chance(50) }
        canon.will = { ...w, payload: payload.toString('hex'), properties: wp.canon }
        input.will = { ...w, payload, properties: wp.input }
      }
      // mqtt-packet: a password only with a user name (3.1.1 rule, also applied to MQTT 5).
      if (rng.chance(50)) {
        canon.username = input.username = v.text(20)
        if (rng.chance(50)) {
          const pw = v.bytes(32)
          canon.password = pw.toString('hex')
          input.password = pw
        }
      }
      return { canon, input }
    }
    case 'connack': {
      const code = v5 ? v.reason('connack') : (rng.chance(50) ? 0 : rng.range(1, 5))
      const sessionPresent = code === 0 && rng.chance(50)
      const p = props('connack')
      const input = { cmd: type, sessionPresent, properties: p.input }
      input[v5 ? 'reasonCode' : 'returnCode'] = code
      return { canon: { type, session_present: sessionPresent, reason_code: code, properties: p.canon }, input }
    }
    case 'publish': {
      const qos = v.qos()
      const retain = rng.chance(50)
      const dup = qos > 0 && rng.chance(30)
      const packetId = qos > 0 ? v.packetId() : 0
      const p = props('publish')
      const topic = p.canon.topic_alias !== undefined && rng.chance(50) ? '' : v.topicName()
      const max = rng.chance(5) ? 20000 : rng.chance(20) ? 400 : 64
      const payload = rng.chance(10) ? Buffer.alloc(0) : v.bytes(max)
      const input = { cmd: type, topic, payload, qos, retain, dup, properties: p.input }
      if (qos > 0) input.messageId = packetId
      return { canon: { type, topic, payload: payload.toString('hex'), qos, retain, dup, packet_id: packetId, properties: p.canon }, input }
    }
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp': {
      const packetId = v.packetId()
      const input = { cmd: type, messageId: packetId }
      const canon = { type, packet_id: packetId, reason_code: 0, properties: {} }
      if (v5) {
        canon.reason_code = input.reasonCode = v.reason(type)
        // Three wire forms: id only (Success, no properties), id + code, id + code + properties.
        if (rng.chance(50)) {
          const p = genProps(rng, v, type)
          canon.properties = p.canon
          input.properties = p.input ?? {}
        }
      }
      return { canon, input }
    }
    case 'subscribe': {
      const packetId = v.packetId()
      const subs = []
      const canonSubs = []
      const n = rng.range(1, 5)
      for (let i = 0; i < n; i++) {
        const filter = v.topicFilter()
        const qos = v.qos()
        const s = { filter, qos, no_local: false, retain_as_published: false, retain_handling: 0 }
        if (v5) {
          s.no_local = !filter.startsWith('$share/') && rng.chance(50) // §3.8.3.1
          s.retain_as_published = rng.chance(50)
          s.retain_handling = rng.below(3)
        }
        canonSubs.push(s)
        subs.push(v5 ? { topic: filter, qos, nl: s.no_local, rap: s.retain_as_published, rh: s.retain_handling } : { topic: filter, qos })
      }
      const p = props('subscribe')
      return { canon: { type, packet_id: packetId, subscriptions: canonSubs, properties: p.canon }, input: { cmd: type, messageId: packetId, subscriptions: subs, properties: p.input } }
    }
    case 'suback': {
      const packetId = v.packetId()
      const codes = []
      const n = rng.range(1, 6)
      for (let i = 0; i < n; i++) codes.push(v5 ? v.reason('suback') : rng.pick([0, 1, 2, 0x80]))
      const p = props('suback')
      return { canon: { type, packet_id: packetId, reason_codes: codes, properties: p.canon }, input: { cmd: type, messageId: packetId, granted: codes, properties: p.input } }
    }
    case 'unsubscribe': {
      const packetId = v.packetId()
      const filters = []
      const n = rng.range(1, 5)
      for (let i = 0; i < n; i++) filters.push(v.topicFilter())
      const p = props('unsubscribe')
      return { canon: { type, packet_id: packetId, filters, properties: p.canon }, input: { cmd: type, messageId: packetId, unsubscriptions: filters, properties: p.input } }
    }
    case 'unsuback': {
      const packetId = v.packetId()
      const codes = []
      if (v5) for (let i = 0, n = rng.range(1, 6); i < n; i++) codes.push(v.reason('unsuback'))
      const p = props('unsuback')
      return { canon: { type, packet_id: packetId, reason_codes: codes, properties: p.canon }, input: { cmd: type, messageId: packetId, granted: codes, properties: p.input } }
    }
    case 'pingreq': case 'pingresp':
      return { canon: { type }, input: { cmd: type } }
    case 'disconnect': case 'auth': {
      const code = v5 ? v.reason(type) : 0
      const p = props(type)
      return { canon: { type, reason_code: code, properties: p.canon }, input: { cmd: type, reasonCode: code, properties: p.input } }
    }
  }
  throw new Error(`unknown type ${type}`)
}
