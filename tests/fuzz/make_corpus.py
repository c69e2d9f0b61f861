#!/usr/bin/env python3
"""Writes the fuzz seed corpus (tests/fuzz/corpus/) from valid packets of every type in both
protocol versions, made and encoded by our codec through mqtt_crosscheck_tool.

usage: tests/fuzz/make_corpus.py <path to mqtt_crosscheck_tool> [corpus dir]

Each file is one fuzz input: an options byte (see mqtt_decode_fuzz.cpp) followed by the
bytes of one packet, or of several packets back to back ("stream-*" files).
"""
import json
import pathlib
import subprocess
import sys

PER_TYPE = 2  # packets of each type per version


def generate(tool, version, seed, count):
    out = subprocess.run(
        [tool, "generate", "--seed", str(seed), "--count", str(count), "--version", str(version),
         "--max-payload", "48"],
        check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tool = sys.argv[1]
    corpus = pathlib.Path(sys.argv[2] if len(sys.argv) > 2
                          else pathlib.Path(__file__).parent / "corpus")
    corpus.mkdir(parents=True, exist_ok=True)
    for old in corpus.iterdir():
        old.unlink()
    for version, types in ((4, 14), (5, 15)):
        # options byte: bit 0 version, bit 3 accept any CONNECT version, bits 4-7 chunking
        base = (1 if version == 5 else 0) | 0x08
        packets = generate(tool, version, 1000 + version, types * PER_TYPE)
        for i, p in enumerate(packets):
            opts = base | ((i % 16) << 4)
            name = f"v{version}-{p['packet']['type']}-{i // types}"
            (corpus / name).write_bytes(bytes([opts]) + bytes.fromhex(p["hex"]))
        # Several packets in one input exercise the stream decoder's packet boundaries.
        for s in range(4):
            chunk = packets[s * 7:(s * 7) + 7]
            data = b"".join(bytes.fromhex(p["hex"]) for p in chunk)
            (corpus / f"v{version}-stream-{s}").write_bytes(bytes([base | (s << 5)]) + data)
        # The same stream under a small maximum packet size (bits 1-2 = 64 bytes).
        data = b"".join(bytes.fromhex(p["hex"]) for p in packets[:10])
        (corpus / f"v{version}-stream-max64").write_bytes(bytes([base | 0x04]) + data)
    print(f"wrote {len(list(corpus.iterdir()))} files to {corpus}")


if __name__ == "__main__":
    main()
