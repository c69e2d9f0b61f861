#!/usr/bin/env python3
"""Generates dashboards/fleetload-capacity.json (the Grafana capacity-test dashboard).

Run from anywhere: python3 dashboards/generate_dashboard.py. Panels are listed once here so
the layout, the template filter and the PromQL stay consistent; the JSON is committed and
every expression in it is evaluated against a real Prometheus by tests/e2e/metrics_e2e_test.
"""
import json
import pathlib

F = 'scenario=~"$scenario", shard=~"$shard"'
RI = "$__rate_interval"
DS = {"type": "prometheus", "uid": "${datasource}"}

panels = []
next_id = [1]
cursor = {"x": 0, "y": 0, "row_h": 0}


def place(w, h):
    if cursor["x"] + w > 24:
        cursor["x"] = 0
        cursor["y"] += cursor["row_h"]
        cursor["row_h"] = 0
    pos = {"x": cursor["x"], "y": cursor["y"], "w": w, "h": h}
    cursor["x"] += w
    cursor["row_h"] = max(cursor["row_h"], h)
    return pos


def row(title):
    cursor["x"] = 0
    cursor["y"] += cursor["row_h"]
    cursor["row_h"] = 0
    panels.append({"type": "row", "title": title, "id": next_id[0], "collapsed": False,
                   "gridPos": {"x": 0, "y": cursor["y"], "w": 24, "h": 1}, "panels": []})
    next_id[0] += 1
    cursor["y"] += 1


def targets(exprs, fmt="time_series"):
    out = []
    for i, (expr, legend) in enumerate(exprs):
        out.append({"datasource": DS, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i),
                    "format": fmt, "range": True})
    return out


def panel(kind, title, exprs, unit="short", w=12, h=8, description="", fmt="time_series", extra=None):
    p = {"type": kind, "title": title, "id": next_id[0], "datasource": DS, "description": description,
         "gridPos": place(w, h), "targets": targets(exprs, fmt),
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}
    if kind == "timeseries":
        p["options"] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi"}}
    if kind == "heatmap":
        p["options"] = {"calculate": False, "yAxis": {"unit": "s"}, "cellGap": 1,
                        "color": {"mode": "scheme", "scheme": "Spectral", "steps": 64}}
    if extra:
        p.update(extra)
    next_id[0] += 1
    panels.append(p)


def quantiles(metric, by="", qs=(0.5, 0.9, 0.99)):
    grp = "le" + (", " + by if by else "")
    lg = ("{{" + by + "}} " if by else "")
    return [(f"histogram_quantile({q}, sum by ({grp}) (rate({metric}_bucket{{{F}}}[{RI}])))", f"{lg}p{int(q * 100)}")
            for q in qs]


def heatmap(title, metric, sel=""):
    s = F + (", " + sel if sel else "")
    panel("heatmap", title, [(f"sum by (le) (increase({metric}_bucket{{{s}}}[{RI}]))", "{{le}}")],
          unit="s", w=8, h=8, fmt="heatmap")


row("Fleet")
panel("timeseries", "Connected devices vs target",
      [(f"sum(fleetload_devices_connected{{{F}}})", "connected"), (f"sum(fleetload_devices_target{{{F}}})", "target")],
      w=12, description="Devices with an accepted MQTT connection, against the devices the shards run.")
panel("stat", "Fleet connected",
      [(f"sum(fleetload_devices_connected{{{F}}}) / sum(fleetload_devices_target{{{F}}})", "connected")],
      unit="percentunit", w=4)
panel("timeseries", "Connecting and backing off",
      [(f"sum(fleetload_devices_connecting{{{F}}})", "connecting"),
       (f"sum(fleetload_devices_backing_off{{{F}}})", "backing off")], w=8)
panel("table", "Phase and elapsed time by shard",
      [(f"max by (shard, phase) (fleetload_phase_info{{{F}}})", ""),
       (f"max by (shard) (fleetload_run_elapsed_seconds{{{F}}})", "")], w=24, h=5, fmt="table")

row("Connects")
panel("timeseries", "Connect rate",
      [(f"sum(rate(fleetload_connect_attempts_total{{{F}}}[{RI}]))", "attempts/s"),
       (f"sum(rate(fleetload_connects_ok_total{{{F}}}[{RI}]))", "accepted/s")], unit="ops", w=8)
panel("timeseries", "Connect failures by reason",
      [(f"sum by (reason) (rate(fleetload_connect_failures_total{{{F}}}[{RI}]))", "{{reason}}")], unit="ops", w=8)
panel("timeseries", "CONNACK codes",
      [(f"sum by (code_name) (rate(fleetload_connack_codes_total{{{F}}}[{RI}]))", "{{code_name}}")], unit="ops", w=8)
panel("timeseries", "Connect stage latency (p50, p99)",
      quantiles("fleetload_connect_stage_duration_seconds", "stage", (0.5, 0.99)), unit="s", w=8)
heatmap("Connect duration heatmap (CONNECT to CONNACK)", "fleetload_connect_stage_duration_seconds", 'stage="connack"')
heatmap("TCP connect heatmap", "fleetload_connect_stage_duration_seconds", 'stage="tcp"')

row("Publish and receive")
panel("timeseries", "Publish rate vs target",
      [(f"sum(rate(fleetload_publishes_sent_total{{{F}}}[{RI}]))", "sent/s"),
       (f"sum(fleetload_publish_rate_target{{{F}}})", "target"),
       (f"sum(fleetload_publish_rate_achieved{{{F}}})", "achieved (last interval)")], unit="ops", w=12)
panel("timeseries", "Receive rate",
      [(f"sum(rate(fleetload_messages_received_total{{{F}}}[{RI}]))", "received/s"),
       (f"sum(rate(fleetload_publishes_acked_total{{{F}}}[{RI}]))", "acked/s")], unit="ops", w=12)
panel("timeseries", "Publish results by QoS",
      [(f"sum by (qos) (rate(fleetload_publishes_acked_total{{{F}}}[{RI}]))", "acked qos {{qos}}"),
       (f"sum by (qos) (rate(fleetload_ack_timeouts_total{{{F}}}[{RI}]))", "ack timeout qos {{qos}}"),
       (f"sum by (reason) (rate(fleetload_publish_failures_total{{{F}}}[{RI}]))", "failed: {{reason}}")],
      unit="ops", w=8)
panel("timeseries", "Publish-to-ack latency", quantiles("fleetload_ack_latency_seconds"), unit="s", w=8)
heatmap("Publish-to-ack heatmap", "fleetload_ack_latency_seconds")
panel("timeseries", "End-to-end latency", quantiles("fleetload_e2e_latency_seconds"), unit="s", w=8)
heatmap("End-to-end heatmap", "fleetload_e2e_latency_seconds")
panel("timeseries", "In flight and offline queued",
      [(f"sum(fleetload_publishes_in_flight{{{F}}})", "in flight"),
       (f"sum(fleetload_publishes_offline_queued{{{F}}})", "offline queued")], w=8)

row("Delivery: loss and duplicates")
panel("timeseries", "Lost, duplicated, out of order (per interval)",
      [(f"sum(increase(fleetload_messages_lost_total{{{F}}}[{RI}]))", "lost"),
       (f"sum(increase(fleetload_messages_duplicated_total{{{F}}}[{RI}]))", "duplicated"),
       (f"sum(increase(fleetload_messages_out_of_order_total{{{F}}}[{RI}]))", "out of order")], w=12)
panel("stat", "Lost (run total)", [(f"sum(fleetload_messages_lost_total{{{F}}})", "lost")], w=4)
panel("stat", "Duplicated (run total)", [(f"sum(fleetload_messages_duplicated_total{{{F}}})", "duplicated")], w=4)
panel("stat", "Loss ratio",
      [(f"sum(fleetload_messages_lost_total{{{F}}}) / clamp_min(sum(fleetload_messages_received_total{{{F}}})"
        f" + sum(fleetload_messages_lost_total{{{F}}}), 1)", "loss")], unit="percentunit", w=4)

row("Reconnect storm")
panel("timeseries", "Drops by reason",
      [(f"sum by (reason) (rate(fleetload_drops_total{{{F}}}[{RI}]))", "{{reason}}")], unit="ops", w=8)
panel("timeseries", "Reconnects and devices backing off",
      [(f"sum(rate(fleetload_reconnects_total{{{F}}}[{RI}]))", "reconnects/s"),
       (f"sum(fleetload_devices_backing_off{{{F}}})", "backing off")], w=8)
heatmap("Reconnect delay heatmap", "fleetload_reconnect_delay_seconds")
panel("timeseries", "Pings", [(f"sum(rate(fleetload_pings_sent_total{{{F}}}[{RI}]))", "sent/s"),
                              (f"sum(rate(fleetload_ping_timeouts_total{{{F}}}[{RI}]))", "timeouts/s")],
      unit="ops", w=8)
panel("timeseries", "Ping round trip", quantiles("fleetload_ping_rtt_seconds", qs=(0.5, 0.99)), unit="s", w=8)
panel("timeseries", "Subscribe results",
      [(f"sum(rate(fleetload_subscribe_filters_ok_total{{{F}}}[{RI}]))", "granted/s"),
       (f"sum(rate(fleetload_subscribe_filters_failed_total{{{F}}}[{RI}]))", "refused/s"),
       (f"sum(rate(fleetload_subscribe_timeouts_total{{{F}}}[{RI}]))", "timed out/s")], unit="ops", w=8)

row("Per shard")
panel("timeseries", "Connected by shard",
      [(f"sum by (shard) (fleetload_devices_connected{{{F}}})", "shard {{shard}}")], w=8)
panel("timeseries", "Publish rate by shard",
      [(f"sum by (shard) (rate(fleetload_publishes_sent_total{{{F}}}[{RI}]))", "shard {{shard}}")], unit="ops", w=8)
panel("timeseries", "Ack p99 by shard", quantiles("fleetload_ack_latency_seconds", "shard", (0.99,)), unit="s", w=8)
panel("timeseries", "Errors by shard: broker vs local limits",
      [(f"sum by (shard) (rate(fleetload_broker_errors_total{{{F}}}[{RI}]))", "broker {{shard}}"),
       (f"sum by (shard) (rate(fleetload_local_limit_errors_total{{{F}}}[{RI}]))", "local {{shard}}")],
      unit="ops", w=12)
panel("timeseries", "Bytes by shard",
      [(f"sum by (shard) (rate(fleetload_bytes_sent_total{{{F}}}[{RI}]))", "sent {{shard}}"),
       (f"sum by (shard) (rate(fleetload_bytes_received_total{{{F}}}[{RI}]))", "received {{shard}}")],
      unit="Bps", w=12)


def variable(name, label, query):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "definition": query, "query": {"query": query, "refId": name},
            "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "sort": 1}


dashboard = {
    "uid": "fleetload-capacity",
    "title": "fleetload: capacity test",
    "description": "A fleetload run live: fleet vs target, connects, publish and receive rates, latency, "
                   "loss, reconnect storms, per shard.",
    "tags": ["fleetload", "mqtt", "load-test"],
    "timezone": "browser",
    "schemaVersion": 38,
    "version": 1,
    "editable": True,
    "graphTooltip": 1,
    "refresh": "5s",
    "time": {"from": "now-15m", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0},
        variable("scenario", "Scenario", "label_values(fleetload_devices_target, scenario)"),
        variable("shard", "Shard", 'label_values(fleetload_devices_target{scenario=~"$scenario"}, shard)'),
    ]},
    "annotations": {"list": []},
    "panels": panels,
}

out = pathlib.Path(__file__).with_name("fleetload-capacity.json")
out.write_text(json.dumps(dashboard, indent=2) + "\n")
print(f"wrote {out} ({len(panels)} panels)")
