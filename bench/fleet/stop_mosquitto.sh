#!/usr/bin/env bash
# Stops benchmark brokers started by start_mosquitto.sh and waits (bounded, 5 s each) until
# they have gone, so the next broker's readiness check on the same port cannot talk to an
# old one. Usage: stop_mosquitto.sh PID...
for p in "$@"; do kill "$p" 2>/dev/null || true; done
for p in "$@"; do
  for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
done
exit 0
