#!/usr/bin/python3
"""An MQTT client for the responder's e2e tests, independent of fleetload's codec: Debian's
paho-mqtt speaks MQTT and cbor2 encodes and decodes CBOR.

Runs a program (JSON, argv[1] or a file named by it) of steps against a broker and prints
one JSON document with what it received, for the C++ test to check:

  {"port": 1883, "protocol": 4 | 5, "client_id": "dev-1",
   "steps": [
     {"sub": ["topic/filter", ...]},                  # SUBSCRIBE (QoS 1), waits for SUBACK
     {"pub": "topic", "text": "..."}                   # PUBLISH (QoS 1), payload as text
     {"pub": "topic", "json": {...}}                   # ... JSON-encoded
     {"pub": "topic", "cbor": {...}}                   # ... CBOR-encoded (cbor2)
     {"wait": "topic", "timeout": 10, "cbor": false,   # the next message on `topic`
      "save": {"name": "field", ...},                  # remember fields of its payload
      "file": {"field": "path", ...}},                 # write fields of its payload to files
     {"tls_connect": {"port": P, "ca": F, "cert": F, "key": F, "tls12": false}}  # a second client over mTLS
   ]}

"${name}" in any string of a later step is replaced by a saved value. The output is
{"received": [{"topic", "payload"} ...], "tls": [{"connected": bool, "rc": int} ...]}
with payloads decoded from JSON or CBOR. Exit code 0 when every step ran, 1 on a timeout
(the output then names the step), 2 on bad input.
"""
import json
import queue
import ssl
import sys
import threading
import time

import cbor2
import paho.mqtt.client as mqtt


def substitute(value, saved):
    if isinstance(value, str):
        for k, v in saved.items():
            value = value.replace("${" + k + "}", v)
        return value
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    return value


class Client:
    def __init__(self, program):
        proto = mqtt.MQTTv5 if program.get("protocol", 4) == 5 else mqtt.MQTTv311
        self.c = mqtt.Client(client_id=program.get("client_id", "responder-e2e"), protocol=proto)
        self.queues = {}
        self.lock = threading.Lock()
        self.subacks = queue.Queue()
        self.c.on_message = self.on_message
        self.c.on_subscribe = lambda *a: self.subacks.put(a[2])
        self.connected = threading.Event()
        self.c.on_connect = lambda *a: self.connected.set()
        self.c.connect("127.0.0.1", program["port"], keepalive=30)
        self.c.loop_start()
        if not self.connected.wait(10):
            raise TimeoutError("no CONNACK from the broker")

    def on_message(self, client, userdata, msg):
        with self.lock:
            self.queues.setdefault(msg.topic, queue.Queue()).put(msg.payload)

    def queue_of(self, topic):
        with self.lock:
            return self.queues.setdefault(topic, queue.Queue())


def decode(payload, as_cbor):
    if as_cbor:
        return cbor2.loads(payload)
    if not payload:
        return None
    return json.loads(payload.decode("utf-8"))


def tls_connect(spec):
    done = threading.Event()
    result = {"connected": False, "rc": -1}

    def on_connect(client, userdata, flags, rc, *rest):
        result["rc"] = int(rc) if not hasattr(rc, "value") else rc.value
        result["connected"] = result["rc"] == 0
        done.set()

    c = mqtt.Client(client_id=spec.get("client_id", "provisioned-device"), protocol=mqtt.MQTTv311)
    # "tls12": with TLS 1.2 the broker refuses a certificate inside the handshake, so connect()
    # raises at once; with TLS 1.3 the refusal may only arrive after connect() returned.
    version = ssl.PROTOCOL_TLSv1_2 if spec.get("tls12") else ssl.PROTOCOL_TLS_CLIENT
    c.tls_set(ca_certs=spec["ca"], certfile=spec["cert"], keyfile=spec["key"], cert_reqs=ssl.CERT_REQUIRED,
              tls_version=version)
    c.on_connect = on_connect
    # With TLS 1.3 the broker's refusal of our certificate arrives after connect() returned.
    c.on_disconnect = lambda *a: done.set()
    try:
        c.connect("127.0.0.1", spec["port"], keepalive=30)
        c.loop_start()
        done.wait(10)
        if result["connected"]:
            published = c.publish(spec.get("topic", "provisioned/hello"), b"hi", qos=1)
            published.wait_for_publish(5)
            result["published"] = published.is_published()
        c.disconnect()
        c.loop_stop()
    except (ssl.SSLError, OSError) as e:
        result["error"] = type(e).__name__
    return result


def main():
    arg = sys.argv[1]
    program = json.loads(open(arg).read() if not arg.lstrip().startswith("{") else arg)
    client = Client(program)
    saved = {}
    out = {"received": [], "tls": []}
    for i, raw in enumerate(program["steps"]):
        step = substitute(raw, saved)
        if "sub" in step:
            client.c.subscribe([(t, 1) for t in step["sub"]])
            client.subacks.get(timeout=10)
        elif "pub" in step:
            if "cbor" in step:
                payload = cbor2.dumps(step["cbor"])
            elif "json" in step:
                payload = json.dumps(step["json"]).encode()
            else:
                payload = step.get("text", "").encode()
            client.c.publish(step["pub"], payload, qos=1).wait_for_publish(10)
        elif "wait" in step:
            try:
                payload = client.queue_of(step["wait"]).get(timeout=step.get("timeout", 10))
            except queue.Empty:
                out["timeout"] = {"step": i, "topic": step["wait"]}
                print(json.dumps(out))
                return 1
            value = decode(payload, step.get("cbor", False))
            out["received"].append({"topic": step["wait"], "payload": value})
            for name, field in step.get("save", {}).items():
                saved[name] = value[field]
            for field, path in step.get("file", {}).items():
                with open(path, "w") as f:
                    f.write(value[field])
        elif "tls_connect" in step:
            out["tls"].append(tls_connect(step["tls_connect"]))
        else:
            print(json.dumps({"error": "unknown step %d" % i}))
            return 2
    client.c.disconnect()
    client.c.loop_stop()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
