#!/usr/bin/python3
"""A scripted, misbehaving MQTT 3.1.1 / 5 broker for fleetload's e2e tests.

It speaks just enough MQTT (its own small codec, independent of fleetload's) to accept
devices and then do to each of them what the test's JSON config says, and it logs every
event with its own CLOCK_MONOTONIC timestamp as one JSON line, so tests measure on the wire
(delays between a close and the next accept, PINGREQ cadence, DISCONNECT reason codes) and
not from fleetload's counters.

Usage: scripted_broker.py --config CONFIG.json --log EVENTS.jsonl --port-file PORT
  It listens on 127.0.0.1 on a port the kernel picks and writes that port to --port-file
  once it accepts. SIGTERM stops it.

Config: {"profiles": [PROFILE, ...]}. A connection gets the first profile whose "match"
(a regular expression, re.fullmatch) matches the client id of its CONNECT; none matching:
the defaults below. PROFILE keys (all optional):
  match               client id regex (default ".*")
  connack_codes       CONNACK return/reason code per connect attempt of that client id
                      (1st, 2nd, ...; the last repeats), default [0]
  session             "lose" (default: Session Present always 0) or "keep" (a client id that
                      connected before and asks to rejoin, Clean Start 0, gets Session
                      Present 1; Clean Start 1 discards the session)
  server_keep_alive   MQTT 5 CONNACK Server Keep Alive (seconds)
  connack_properties  other MQTT 5 CONNACK properties: {"receive_maximum": n,
                      "topic_alias_maximum": n, "maximum_packet_size": n}
  drop_after          seconds after CONNACK to close the TCP connection (a number, or a list
                      per accepted connection of that client id, the last repeating; null:
                      never)
  pingresp            answer PINGREQ (default true)
  ack_publishes       answer QoS 1 PUBLISH with PUBACK, QoS 2 with PUBREC, PUBREL with
                      PUBCOMP (default true)
  qos2_ack            "pubrec" (default) or "puback": answer QoS 2 PUBLISH with PUBACK, as
                      a broker without QoS 2 does (RabbitMQ 3.x)
  suback_extra_codes  SUBACK reason codes beyond (or, negative, short of) one per filter
  suback_grant        the highest QoS granted per filter (a number for all filters, or a list
                      per filter, the last repeating): the SUBACK code is min(requested,
                      grant), as RabbitMQ grants QoS 2 as 1; 128 (or any >= 0x80): that
                      filter refused with this code
  suback              answer SUBSCRIBE at all (default true; false: the SUBACK never comes)
  route               copies (default 0: none): this connection, once a SUBACK granted it
                      anything, is handed every PUBLISH any connection sends (its own too;
                      filters are not matched), each `route` times, at min(publish QoS, the
                      highest QoS granted): 2 plays a broker that delivers everything twice.
                      Each copy is logged as deliver {qos, topic}
  connect_answer      "connack" (default); "mqtt311_connack": answer any CONNECT with the
                      3.1.1 CONNACK `20 02 00 01` and close, as aedes does to MQTT 5;
                      "close": close without a word, as RabbitMQ 3.10 does to MQTT 5
  actions             [{"after": "connack"|"suback", "delay": s, "type": T, ...}]: what the
                      broker sends on its own, `delay` seconds after that event:
                        publish       {"topic", "qos", "packet_id", "alias", "payload_size"}
                        announce_huge {"remaining_length", "body_bytes", "body_delay"}: a
                                      PUBLISH fixed header announcing remaining_length,
                                      then (after body_delay s, default 0) up to body_bytes
                                      of its body, as fast as the device reads; logs how
                                      much was written before the device closed. With a
                                      delay the device has read everything sent when it
                                      closes, so its close is a FIN and a DISCONNECT it
                                      sent first is not lost to a TCP reset
                        qos2_flood    {"count", "first_id"}: QoS 2 PUBLISHes with distinct
                                      ids and never a PUBREL

Extending it: a new misbehaviour is a profile key read where the packet it concerns is
handled (Connection.on_<packet>), or a new action type in Connection.run_action. 

Events (every line has "t", CLOCK_MONOTONIC seconds, "conn", the connection number, and
"event"): accept; connect {client_id, version, clean_start, keepalive, properties}; connack
{code, session_present}; subscribe {packet_id, filters}; suback {codes}; unsubscribe;
publish {qos, packet_id, topic, alias, bytes}; puback/pubrec/pubrel/pubcomp {packet_id};
pingreq; pingresp; disconnect {reason_code}; sent {what} for action packets; huge_end
{bytes_written}; close {by: "device"|"broker", reason}.
"""
import argparse
import asyncio
import json
import os
import re
import signal
import struct
import sys
import time

# ---- a small MQTT codec --------------------------------------------------------------------

# MQTT 5 property identifiers and their wire types (5.0 section 2.2.2.2).
BYTE, U16, U32, VBI, STR, BIN, PAIR = range(7)
PROPERTIES = {
    0x01: ("payload_format_indicator", BYTE), 0x02: ("message_expiry_interval", U32),
    0x03: ("content_type", STR), 0x08: ("response_topic", STR), 0x09: ("correlation_data", BIN),
    0x0B: ("subscription_identifier", VBI), 0x11: ("session_expiry_interval", U32),
    0x12: ("assigned_client_identifier", STR), 0x13: ("server_keep_alive", U16),
    0x15: ("authentication_method", STR), 0x16: ("authentication_data", BIN),
    0x17: ("request_problem_information", BYTE), 0x18: ("will_delay_interval", U32),
    0x19: ("request_response_information", BYTE), 0x1A: ("response_information", STR),
    0x1C: ("server_reference", STR), 0x1F: ("reason_string", STR),
    0x21: ("receive_maximum", U16), 0x22: ("topic_alias_maximum", U16), 0x23: ("topic_alias", U16),
    0x24: ("maximum_qos", BYTE), 0x25: ("retain_available", BYTE), 0x26: ("user_property", PAIR),
    0x27: ("maximum_packet_size", U32), 0x28: ("wildcard_subscription_available", BYTE),
    0x29: ("subscription_identifier_available", BYTE), 0x2A: ("shared_subscription_available", BYTE),
}
PROPERTY_IDS = {name: (pid, kind) for pid, (name, kind) in PROPERTIES.items()}


class Malformed(Exception):
    pass


def vbi(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


class Reader:
    def __init__(self, data):
        self.d, self.i = data, 0

    def take(self, n):
        if self.i + n > len(self.d):
            raise Malformed("short packet")
        v = self.d[self.i:self.i + n]
        self.i += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def vbi(self):
        n, shift = 0, 0
        for _ in range(4):
            b = self.u8()
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n
        raise Malformed("variable byte integer over 4 bytes")

    def binary(self):
        return self.take(self.u16())

    def string(self):
        return self.binary().decode("utf-8", "replace")

    def rest(self):
        v = self.d[self.i:]
        self.i = len(self.d)
        return v

    def properties(self):
        end = self.vbi() + self.i
        props = {}
        while self.i < end:
            pid = self.vbi()
            if pid not in PROPERTIES:
                raise Malformed("unknown property 0x%02x" % pid)
            name, kind = PROPERTIES[pid]
            value = {BYTE: self.u8, U16: self.u16, U32: self.u32, VBI: self.vbi,
                     STR: self.string, BIN: lambda: self.binary().hex(),
                     PAIR: lambda: [self.string(), self.string()]}[kind]()
            if kind == PAIR:
                props.setdefault(name, []).append(value)
            else:
                props[name] = value
        return props


def encode_properties(props):
    body = bytearray()
    for name, value in props.items():
        pid, kind = PROPERTY_IDS[name]
        body += vbi(pid)
        if kind == BYTE:
            body += bytes([value])
        elif kind == U16:
            body += struct.pack(">H", value)
        elif kind == U32:
            body += struct.pack(">I", value)
        elif kind == VBI:
            body += vbi(value)
        elif kind == STR:
            raw = value.encode()
            body += struct.pack(">H", len(raw)) + raw
        else:
            raise ValueError("property %s not supported in encode" % name)
    return vbi(len(body)) + bytes(body)


def packet(first_byte, body):
    return bytes([first_byte]) + vbi(len(body)) + bytes(body)


def mqtt_string(s):
    raw = s.encode()
    return struct.pack(">H", len(raw)) + raw


# ---- the broker ------------------------------------------------------------------------------

class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)  # line-buffered: tests read it while we run

    def __call__(self, conn, event, **fields):
        rec = {"t": time.monotonic(), "conn": conn, "event": event}
        rec.update(fields)
        self.f.write(json.dumps(rec) + "\n")


DEFAULTS = {"match": ".*", "connack_codes": [0], "session": "lose", "drop_after": None,
            "pingresp": True, "ack_publishes": True, "qos2_ack": "pubrec", "suback_extra_codes": 0, "suback_grant": 2, "suback": True,
            "route": 0, "connect_answer": "connack", "actions": []}


class Broker:
    def __init__(self, config, log):
        self.profiles = [dict(DEFAULTS, **p) for p in config.get("profiles", [])]
        self.log = log
        self.next_conn = 0
        self.attempts = {}   # client id -> CONNECTs seen
        self.accepted = {}   # client id -> accepted connections
        self.sessions = set()  # client ids with a session (session: keep)
        self.routed = []       # connections with "route" whose SUBACK granted something

    def profile_for(self, client_id):
        for p in self.profiles:
            if re.fullmatch(p["match"], client_id):
                return p
        return dict(DEFAULTS)

    async def handle(self, reader, writer):
        self.next_conn += 1
        await Connection(self, self.next_conn, reader, writer).run()


def nth(value, k):
    """value[k] of a per-connection list (the last repeating), or value itself."""
    if isinstance(value, list):
        return value[min(k, len(value) - 1)] if value else None
    return value


class Connection:
    def __init__(self, broker, conn, reader, writer):
        self.b, self.id, self.r, self.w = broker, conn, reader, writer
        self.log = lambda event, **f: broker.log(conn, event, **f)
        self.version = 4
        self.profile = dict(DEFAULTS)
        self.tasks = []
        self.closed_by_broker = False
        self.filters = 0
        self.granted = -1      # highest QoS a SUBACK granted (-1: none)
        self.next_pid = 0

    async def run(self):
        self.log("accept")
        reason = "eof"
        try:
            while True:
                first = await self.r.readexactly(1)
                length, shift = 0, 0
                for _ in range(4):
                    b = (await self.r.readexactly(1))[0]
                    length |= (b & 0x7F) << shift
                    shift += 7
                    if not b & 0x80:
                        break
                body = await self.r.readexactly(length) if length else b""
                if not await self.on_packet(first[0], Reader(body)):
                    reason = "disconnect"
                    break
        except asyncio.IncompleteReadError:
            reason = "eof"
        except (ConnectionError, OSError) as e:
            reason = type(e).__name__
        except Malformed as e:
            reason = "malformed: %s" % e
        finally:
            if self in self.b.routed:
                self.b.routed.remove(self)
            for t in self.tasks:
                t.cancel()
            if not self.closed_by_broker:
                self.log("close", by="device", reason=reason)
            try:
                self.w.close()
            except Exception:
                pass

    def send(self, data):
        if not self.w.is_closing():
            self.w.write(data)

    def drop(self):
        if self.w.is_closing():
            return
        self.closed_by_broker = True
        self.log("close", by="broker", reason="drop_after")
        self.w.close()

    def later(self, delay, coro_fn):
        async def run():
            if delay > 0:
                await asyncio.sleep(delay)
            await coro_fn()
        self.tasks.append(asyncio.ensure_future(run()))

    def start_actions(self, after):
        for a in self.profile["actions"]:
            if a.get("after", "connack") == after:
                self.later(a.get("delay", 0.0), lambda a=a: self.run_action(a))

    # -- packets from the device ----------------------------------------------------------

    async def on_packet(self, first, r):
        kind = first >> 4
        if kind == 1:
            self.on_connect(r)
        elif kind == 3:
            self.on_publish(first, r)
        elif kind in (4, 5, 6, 7):
            self.on_ack(kind, r)
        elif kind == 8:
            self.on_subscribe(r)
        elif kind == 10:
            self.on_unsubscribe(r)
        elif kind == 12:
            self.log("pingreq")
            if self.profile["pingresp"]:
                self.send(b"\xd0\x00")
                self.log("pingresp")
        elif kind == 14:
            rc = r.u8() if r.i < len(r.d) else 0
            self.log("disconnect", reason_code=rc)
            return False
        else:
            raise Malformed("packet type %d from a client" % kind)
        return True

    def on_connect(self, r):
        if r.string() != "MQTT":
            raise Malformed("protocol name")
        self.version = r.u8()
        flags = r.u8()
        keepalive = r.u16()
        props = r.properties() if self.version == 5 else {}
        client_id = r.string()
        if flags & 0x04:  # will
            if self.version == 5:
                r.properties()
            r.string()
            r.binary()
        if flags & 0x80:
            r.string()
        if flags & 0x40:
            r.binary()
        clean = bool(flags & 0x02)
        self.log("connect", client_id=client_id, version=self.version, clean_start=clean,
                 keepalive=keepalive, properties=sorted(props))
        self.profile = self.b.profile_for(client_id)
        answer = self.profile["connect_answer"]
        if answer != "connack":
            if answer == "mqtt311_connack":
                self.send(b"\x20\x02\x00\x01")
                self.log("connack", code=1, session_present=False, raw="20020001")
            self.closed_by_broker = True
            self.log("close", by="broker", reason=answer)
            self.w.close()
            return
        attempt = self.b.attempts.get(client_id, 0)
        self.b.attempts[client_id] = attempt + 1
        code = nth(self.profile["connack_codes"], attempt) or 0
        keep = self.profile["session"] == "keep"
        present = code == 0 and keep and not clean and client_id in self.b.sessions
        if clean:
            self.b.sessions.discard(client_id)
        body = bytearray([1 if present else 0, code])
        if self.version == 5:
            cp = dict(self.profile.get("connack_properties", {}))
            if self.profile.get("server_keep_alive") is not None:
                cp["server_keep_alive"] = self.profile["server_keep_alive"]
            body += encode_properties(cp)
        self.send(packet(0x20, body))
        self.log("connack", code=code, session_present=present)
        if code != 0:
            return
        if keep:
            self.b.sessions.add(client_id)
        k = self.b.accepted.get(client_id, 0)
        self.b.accepted[client_id] = k + 1
        drop_after = nth(self.profile["drop_after"], k)
        if drop_after is not None:
            asyncio.get_running_loop().call_later(drop_after, self.drop)
        self.start_actions("connack")

    def on_publish(self, first, r):
        qos = (first >> 1) & 3
        topic = r.string()
        pid = r.u16() if qos else 0
        props = r.properties() if self.version == 5 else {}
        payload = r.rest()
        self.log("publish", qos=qos, packet_id=pid, topic=topic, alias=props.get("topic_alias"),
                 bytes=len(payload))
        if not self.profile["ack_publishes"]:
            return
        if qos == 1:
            self.send(packet(0x40, struct.pack(">H", pid)))
        elif qos == 2:
            self.send(packet(0x40 if self.profile["qos2_ack"] == "puback" else 0x50, struct.pack(">H", pid)))
        for c in list(self.b.routed):
            c.deliver(topic, qos, payload)

    def deliver(self, topic, qos, payload):
        q = min(qos, self.granted)
        for _ in range(self.profile["route"]):
            self.next_pid = self.next_pid % 65535 + 1
            self.send(self.publish_bytes(topic, q, self.next_pid, None, 0, payload))
            self.log("deliver", qos=q, topic=topic)

    def on_ack(self, kind, r):
        pid = r.u16()
        self.log({4: "puback", 5: "pubrec", 6: "pubrel", 7: "pubcomp"}[kind], packet_id=pid)
        if kind == 6 and self.profile["ack_publishes"]:
            self.send(packet(0x70, struct.pack(">H", pid)))

    def on_subscribe(self, r):
        pid = r.u16()
        if self.version == 5:
            r.properties()
        filters = []
        while r.i < len(r.d):
            filters.append([r.string(), r.u8()])
        self.filters = len(filters)
        self.log("subscribe", packet_id=pid, filters=filters)
        if not self.profile["suback"]:
            return
        grant = self.profile["suback_grant"]
        codes = []
        for i, f in enumerate(filters):
            g = grant[min(i, len(grant) - 1)] if isinstance(grant, list) else grant
            codes.append(g if g >= 0x80 else min(f[1] & 3, g))
        extra = self.profile["suback_extra_codes"]
        codes = codes + [codes[-1] if codes else 0] * extra if extra >= 0 else codes[:extra]
        body = struct.pack(">H", pid) + (b"\x00" if self.version == 5 else b"") + bytes(codes)
        granted = [c for c in codes if c < 0x80]
        if self.profile["route"] > 0 and granted:
            self.granted = max([self.granted] + granted)
            if self not in self.b.routed:
                self.b.routed.append(self)  # before the SUBACK: what is sent after it is routed
        self.send(packet(0x90, body))
        self.log("suback", codes=codes)
        self.start_actions("suback")

    def on_unsubscribe(self, r):
        pid = r.u16()
        if self.version == 5:
            r.properties()
        n = 0
        while r.i < len(r.d):
            r.string()
            n += 1
        self.log("unsubscribe", packet_id=pid, filters=n)
        body = struct.pack(">H", pid) + ((b"\x00" + bytes(n)) if self.version == 5 else b"")
        self.send(packet(0xB0, body))

    # -- what the broker sends on its own -------------------------------------------------

    def publish_bytes(self, topic, qos, pid, alias, payload_size, payload=None):
        body = mqtt_string(topic)
        if qos:
            body += struct.pack(">H", pid)
        if self.version == 5:
            body += encode_properties({"topic_alias": alias} if alias is not None else {})
        body += b"p" * payload_size if payload is None else payload
        return packet(0x30 | (qos << 1), body)

    async def run_action(self, a):
        kind = a["type"]
        if kind == "publish":
            self.send(self.publish_bytes(a.get("topic", "t"), a.get("qos", 0), a.get("packet_id", 1),
                                         a.get("alias"), a.get("payload_size", 16)))
            self.log("sent", what="publish", alias=a.get("alias"), topic=a.get("topic", "t"))
        elif kind == "qos2_flood":
            first = a.get("first_id", 1)
            for i in range(a["count"]):
                self.send(self.publish_bytes("flood", 2, first + i, None, 16))
            self.log("sent", what="qos2_flood", count=a["count"])
            await self.w.drain()
        elif kind == "announce_huge":
            await self.announce_huge(a["remaining_length"], a.get("body_bytes", 1 << 20), a.get("body_delay", 0))
        else:
            raise ValueError("unknown action %s" % kind)

    async def announce_huge(self, remaining_length, body_bytes, body_delay):
        # A PUBLISH (QoS 0) header announcing remaining_length, the start of a topic, then
        # filler for as long as the device keeps reading.
        self.send(bytes([0x30]) + vbi(remaining_length) + mqtt_string("huge"))
        self.log("sent", what="announce_huge", remaining_length=remaining_length)
        written = 0
        chunk = b"z" * 65536
        try:
            if body_delay > 0:
                await asyncio.sleep(body_delay)
            while written < body_bytes and not self.w.is_closing():
                n = min(len(chunk), body_bytes - written)
                self.w.write(chunk[:n])
                await self.w.drain()
                written += n
        except (ConnectionError, OSError):
            pass
        finally:  # also when the connection ended first and this task was cancelled
            self.log("huge_end", bytes_written=written)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    broker = Broker(config, Log(args.log))
    server = await asyncio.start_server(broker.handle, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.rename(tmp, args.port_file)  # the fixture never reads a half-written port
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with server:
        await stop


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
