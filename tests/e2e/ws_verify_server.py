#!/usr/bin/python3
"""A WebSocket front for mosquitto that checks each upgrade request as AWS IoT would.

websockify's real proxy (Debian's websockify 0.10) with its connection-validation hook
overridden: before the upgrade is accepted the request line and headers are checked, and a
request that fails is answered with HTTP 403 and a reason phrase. Accepted connections are
spliced to the MQTT broker by websockify as usual (binary frames both ways).

Checks, by --mode (the expectations come from the JSON file given with --config):
  sigv4       the presigned query (aws doc section 3) is verified with an independent
              implementation, botocore's SigV4 query signer (same credentials, date, region,
              service iotdevicegateway), with the SDK's two differences from botocore's
              presigning: no X-Amz-Expires and the session token left out of the signature
              and placed just before X-Amz-Signature. The date must be within 5 minutes.
  handshake   every expected header and query parameter is present and matches its regular
              expression; the first group of every expression must be the same device index.
  authorizer  what the SDK sends for websockets_with_custom_authorizer: an unsigned GET /mqtt
              with no query at all (the authorizer travels in the MQTT username).
  echo        every request is refused with HTTP 403 and a reason phrase that echoes the
              request line and all headers (a server that leaks what it was sent).
In every mode: path /mqtt (or the config's "path") and Sec-WebSocket-Protocol: mqtt (websockify's own accept() checks
the rest of RFC 6455). Every verdict is appended to --log as one JSON line; pongs received
(answers to --heartbeat pings) are logged too.
"""
import argparse
import datetime
import json
import logging
import os
import re
import sys
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence
from websockify import websocketproxy, websockifyserver

CONFIG = {}
LOG_PATH = None


def log_line(record):
    # One write per line on an O_APPEND descriptor: lines from the forked handlers never mix.
    fd = os.open(LOG_PATH, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)


class Refused(Exception):
    pass


class SdkWebSocketPresign(SigV4QueryAuth):
    """botocore's SigV4 query signer, with the IoT SDK's presigning differences (aws doc 3)."""

    def _modify_request_before_signing(self, request):
        signed_headers = self.signed_headers(self.headers_to_sign(request))
        auth_params = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": self.scope(request),
            "X-Amz-Date": request.context["timestamp"],
            "X-Amz-SignedHeaders": signed_headers,
        }
        parts = urlsplit(request.url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.update(auth_params)
        request.url = urlunsplit((parts.scheme, parts.netloc, parts.path,
                                  percent_encode_sequence(query), parts.fragment))


def verify_sigv4(path, headers):
    cfg = CONFIG["sigv4"]
    parts = urlsplit(path)
    pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    names = [k for k, _ in pairs]
    params = dict(pairs)
    for required in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                     "X-Amz-SignedHeaders", "X-Amz-Signature"):
        if required not in params:
            raise Refused("missing " + required)
    if "X-Amz-Expires" in params:
        raise Refused("X-Amz-Expires present (the SDK sets none)")
    if params["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        raise Refused("wrong algorithm")
    akid, date, region, service, terminator = params["X-Amz-Credential"].split("/")
    if akid != cfg["access_key_id"]:
        raise Refused("unknown access key")
    if (region, service, terminator) != (cfg["region"], "iotdevicegateway", "aws4_request"):
        raise Refused("wrong credential scope")
    amz_date = params["X-Amz-Date"]
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    skew = abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds())
    if skew > 300 or date != amz_date[:8]:
        raise Refused("request date out of range")
    token = cfg.get("session_token")
    # The current SDK's order ends with the token, then the signature.
    if names[-1] != "X-Amz-Signature":
        raise Refused("X-Amz-Signature is not last")
    if token:
        if params.get("X-Amz-Security-Token") != token:
            raise Refused("wrong or missing session token")
        if len(names) < 2 or names[-2] != "X-Amz-Security-Token":
            raise Refused("X-Amz-Security-Token not just before the signature")
    elif "X-Amz-Security-Token" in params:
        raise Refused("unexpected session token")

    # Recompute with botocore from what was received: the request's other query parameters
    # and the headers the client says it signed, the token left out (omit_session_token).
    signed = params["X-Amz-SignedHeaders"].split(";")
    if "host" not in signed:
        raise Refused("host not signed")
    sign_headers = {}
    for name in signed:
        value = headers.get(name)
        if value is None:
            raise Refused("signed header %s absent" % name)
        sign_headers[name] = value
    auth_names = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
                  "X-Amz-Signature", "X-Amz-Security-Token"}
    other = [(k, v) for k, v in pairs if k not in auth_names]
    url = "https://" + headers["host"] + parts.path
    if other:
        url += "?" + percent_encode_sequence(other)
    request = AWSRequest(method="GET", url=url, headers=sign_headers)
    request.context["timestamp"] = amz_date
    signer = SdkWebSocketPresign(Credentials(cfg["access_key_id"], cfg["secret_access_key"], token),
                                 "iotdevicegateway", cfg["region"])
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if expected != params["X-Amz-Signature"]:
        raise Refused("signature mismatch")
    return {"date": amz_date, "signature": params["X-Amz-Signature"][:16]}


def verify_handshake(path, headers):
    cfg = CONFIG["handshake"]
    query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
    indices = set()
    for kind, source, expected in (("header", headers, cfg.get("headers", {})),
                                   ("query", query, cfg.get("query", {}))):
        for name, pattern in expected.items():
            value = source.get(name.lower() if kind == "header" else name)
            if value is None:
                raise Refused("missing %s %s" % (kind, name))
            m = re.fullmatch(pattern, value)
            if not m:
                raise Refused("wrong %s %s" % (kind, name))
            if m.groups():
                indices.add(int(m.group(1)))
    if len(indices) > 1:
        raise Refused("values of different devices")
    index = indices.pop() if indices else None
    if index is not None and index >= cfg.get("devices", 1 << 62):
        raise Refused("no such device")
    return {"index": index}


def verify_authorizer(path, headers):
    parts = urlsplit(path)
    if parts.query:
        raise Refused("query on a custom-authorizer handshake")
    if any(k.startswith("x-amz-") for k in headers):
        raise Refused("x-amz header on a custom-authorizer handshake")
    return {}


def verify_echo(path, headers):
    # A hostile (or careless) server: refuses every upgrade, its reason phrase echoing the
    # whole request line and every header, secrets and all.
    raise Refused("GET %s HTTP/1.1 | %s" % (path, " | ".join("%s: %s" % kv for kv in headers.items())))


VERIFIERS = {"sigv4": verify_sigv4, "handshake": verify_handshake, "authorizer": verify_authorizer,
             "echo": verify_echo}


class MqttWebSocket(websockifyserver.CompatibleWebSocket):
    def select_subprotocol(self, protocols):
        return "mqtt" if "mqtt" in [p.strip() for p in protocols] else ""

    def handle_pong(self, data):
        log_line({"pong": len(data)})


class VerifyingHandler(websocketproxy.ProxyRequestHandler):
    SocketClass = MqttWebSocket

    def validate_connection(self):
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = {"path": urlsplit(self.path).path,
                  "tls": len(self.client_address) > 2 and bool(self.client_address[2])}
        try:
            want = CONFIG.get("path", "/mqtt")  # a ws:// URL's own path (fleetload run --broker)
            if urlsplit(self.path).path != want:
                raise Refused("path is not " + want)
            if [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")] != ["mqtt"]:
                raise Refused("Sec-WebSocket-Protocol is not mqtt")
            record.update(VERIFIERS[CONFIG["mode"]](self.path, headers))
        except Refused as e:
            record.update(verdict="refused", reason=str(e))
            log_line(record)
            self.send_error(403, str(e))
            raise
        except Exception as e:  # a malformed request: refused as well, never accepted
            record.update(verdict="refused", reason="malformed request: %s" % type(e).__name__)
            log_line(record)
            self.send_error(403, "malformed request")
            raise Refused("malformed") from e
        record["verdict"] = "accepted"
        log_line(record)


def main():
    global CONFIG, LOG_PATH
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen-port", type=int, required=True)
    ap.add_argument("--target-port", type=int, required=True)
    ap.add_argument("--config", required=True, help="JSON: mode and expectations")
    ap.add_argument("--log", required=True, help="verdicts, one JSON line each")
    ap.add_argument("--cert", default="", help="PEM certificate: TLS connections are accepted too")
    ap.add_argument("--key", default="")
    ap.add_argument("--heartbeat", type=int, default=0, help="ping every N seconds")
    a = ap.parse_args()
    with open(a.config) as f:
        CONFIG = json.load(f)
    if CONFIG.get("mode") not in VERIFIERS:
        sys.exit("--config: mode must be one of " + ", ".join(VERIFIERS))
    LOG_PATH = a.log
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    server = websocketproxy.WebSocketProxy(
        RequestHandlerClass=VerifyingHandler, listen_host="127.0.0.1", listen_port=a.listen_port,
        target_host="127.0.0.1", target_port=a.target_port, cert=a.cert, key=a.key,
        heartbeat=a.heartbeat or None)
    server.start_server()


if __name__ == "__main__":
    main()
