#!/usr/bin/env python3
"""Generates dashboards/fleetload-capacity.json (the Grafana capacity-test dashboard).

Run from anywhere: python3 dashboards/generate_dashboard.py. Panels are listed once here so
the layout, the template filter and the PromQL stay consistent; the JSON is committed and
every expression in it is evaluated against a real Prometheus by tests/e2e/metrics_e2e_test.
"""
import json
import pathlib

# Every query filters on the template variables. `group` matches series without the label too
# (the "All" value is .*, and an absent label reads as ""), so the dashboard works before
# device groups exist and filters by them once the label is there.
F = 'scenario=~"$scenario", shard=~"$shard", protocol=~"$protocol", auth_mode=~"$auth_mode", group=~"$group"'
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


def targets(exprs, fmt="time_series", instant=False):
    out = []
    for i, (expr, legend) in enumerate(exprs):
        t = {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i), "format": fmt}
        if instant:
            t["instant"] = True
        else:
            t["range"] = True
        out.append(t)
    return out


def steps(*pairs):
    """Stat colour thresholds: steps("green", None, "orange", 0.99, ...) -> Grafana's list."""
    out = []
    for i in range(0, len(pairs), 2):
        out.append({"color": pairs[i], "value": pairs[i + 1]})
    return {"mode": "absolute", "steps": out}


def panel(kind, title, exprs, unit="short", w=12, h=8, description="", fmt="time_series", extra=None,
          thresholds=None, mappings=None, instant=False):
    assert description, f"panel {title!r} needs a description"
    p = {"type": kind, "title": title, "id": next_id[0], "datasource": DS, "description": description,
         "gridPos": place(w, h), "targets": targets(exprs, fmt, instant),
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}
    if thresholds:
        p["fieldConfig"]["defaults"]["thresholds"] = thresholds
        p["fieldConfig"]["defaults"]["color"] = {"mode": "thresholds"}
    if mappings:
        p["fieldConfig"]["defaults"]["mappings"] = mappings
    if kind == "stat":
        p["options"] = {"colorMode": "background", "graphMode": "none", "reduceOptions":
                        {"calcs": ["lastNotNull"], "fields": "", "values": False}, "textMode": "value"}
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


def quantiles(metric, by="", qs=(0.5, 0.9, 0.99), name=""):
    """histogram_quantile targets, legend "[name ][{{by}} ]pNN"."""
    grp = "le" + (", " + by if by else "")
    lg = (name + " " if name else "") + ("{{" + by + "}} " if by else "")
    return [(f"histogram_quantile({q}, sum by ({grp}) (rate({metric}_bucket{{{F}}}[{RI}])))", f"{lg}p{int(q * 100)}")
            for q in qs]


def heatmap(title, metric, description, sel=""):
    s = F + (", " + sel if sel else "")
    panel("heatmap", title, [(f"sum by (le) (increase({metric}_bucket{{{s}}}[{RI}]))", "{{le}}")],
          unit="s", w=8, h=8, fmt="heatmap", description=description)


def colour_by_name(*pairs):
    """Overrides giving the series (fields) named pairs[0], pairs[2], ... the colours after them."""
    return [{"matcher": {"id": "byName", "options": pairs[i]},
             "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": pairs[i + 1]}}]}
            for i in range(0, len(pairs), 2)]


def totals(title, exprs, description, w, overrides=()):
    """A stat of run totals, one value per series with its name (no colour thresholds)."""
    panel("stat", title, exprs, w=w, h=5, description=description,
          extra={"options": {"colorMode": "value", "graphMode": "none", "textMode": "value_and_name",
                             "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}})
    panels[-1]["fieldConfig"]["overrides"] = list(overrides)


PASS_FAIL = [{"type": "value", "options": {"1": {"text": "PASS", "color": "green", "index": 0},
                                           "0": {"text": "FAIL", "color": "red", "index": 1}}}]

row("Verdict and thresholds")
panel("stat", "Thresholds", [(f"min(fleetload_threshold_passed{{{F}}})", "all thresholds")],
      w=4, h=5, mappings=PASS_FAIL, thresholds=steps("red", None, "green", 1),
      description="PASS while every threshold of the scenario holds on the figures so far (every shard); FAIL "
                  "while one is breached or has nothing measured yet (see the table); final once the run ended.")
panel("stat", "Run result", [(f"max by (result) (fleetload_run_exit_info{{{F}}})", "{{result}}")],
      w=4, h=5, extra={"options": {"colorMode": "none", "graphMode": "none", "textMode": "name",
                                   "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}},
      description="How the run ended (completed, interrupted, runtime_failure); empty while it runs.")
panel("table", "Thresholds: limit, value, verdict by shard",
      [(f"max by (shard, threshold, rule) (fleetload_threshold_limit{{{F}}})", ""),
       (f"max by (shard, threshold, rule) (fleetload_threshold_value{{{F}}})", ""),
       (f"min by (shard, threshold, rule) (fleetload_threshold_passed{{{F}}})", "")],
      w=16, h=5, fmt="table", instant=True,
      extra={"transformations": [{"id": "merge", "options": {}},
                                 {"id": "organize", "options": {
                                     "excludeByName": {"Time": True},
                                     "renameByName": {"Value #A": "limit", "Value #B": "value", "Value #C": "passed"}}}]},
      mappings=PASS_FAIL,
      description="Each threshold of the scenario: its limit and the value measured so far in the threshold's "
                  "unit (seconds, ratio or count), and whether it holds (1 PASS, 0 FAIL). A threshold without "
                  "samples yet has no value.")


row("Fleet")
panel("timeseries", "Connected devices vs target",
      [(f"sum(fleetload_devices_connected{{{F}}})", "connected"), (f"sum(fleetload_devices_target{{{F}}})", "target")],
      w=12, description="Devices with an accepted MQTT connection, against the devices the shards run.")
panel("stat", "Fleet connected",
      [(f"sum(fleetload_devices_connected{{{F}}}) / sum(fleetload_devices_target{{{F}}})", "connected")],
      unit="percentunit", w=4, thresholds=steps("red", None, "orange", 0.9, "green", 0.99),
      description="Share of the target devices connected now: red below 90 %, orange below 99 %.")
panel("timeseries", "Connecting and backing off",
      [(f"sum(fleetload_devices_connecting{{{F}}})", "connecting"),
       (f"sum(fleetload_devices_backing_off{{{F}}})", "backing off")], w=8,
      description="Devices opening a transport or waiting for CONNACK, and devices waiting out their reconnect "
                  "delay.")
panel("table", "Phase and elapsed time by shard",
      [(f"max by (shard, phase) (fleetload_phase_info{{{F}}})", ""),
       (f"max by (shard) (fleetload_run_elapsed_seconds{{{F}}})", "")], w=24, h=5, fmt="table",
      description="The phase each shard runs now and the seconds since it started (phases are also shaded on "
                  "the time series as annotations).")

row("Connects")
panel("timeseries", "Connect rate",
      [(f"sum(rate(fleetload_connect_attempts_total{{{F}}}[{RI}]))", "attempts/s"),
       (f"sum(rate(fleetload_connects_ok_total{{{F}}}[{RI}]))", "accepted/s")], unit="ops", w=8,
      description="Transport opens per second (first connects and reconnects) and accepting CONNACKs per second.")
panel("timeseries", "Connect failures by reason",
      [(f"sum by (reason) (rate(fleetload_connect_failures_total{{{F}}}[{RI}]))", "{{reason}}")], unit="ops", w=8,
      description="Connect attempts per second that did not end in an accepting CONNACK, by reason "
                  "(connect_failed, connack_timeout, connack_refused, local_limit, ...).")
panel("timeseries", "CONNACK codes",
      [(f"sum by (code_name) (rate(fleetload_connack_codes_total{{{F}}}[{RI}]))", "{{code_name}}")], unit="ops", w=8,
      description="CONNACKs per second by return / reason code, success included.")
panel("timeseries", "Connect stage latency (p50, p99)",
      quantiles("fleetload_connect_stage_duration_seconds", "stage", (0.5, 0.99)), unit="s", w=8,
      description="p50 and p99 of each connect stage: tcp connect, tls handshake, websocket upgrade, and "
                  "CONNECT sent to accepting CONNACK.")
heatmap("Connect duration heatmap (CONNECT to CONNACK)", "fleetload_connect_stage_duration_seconds",
        "How CONNECT-to-CONNACK times spread over time: each column is one interval's histogram.", 'stage="connack"')
heatmap("TCP connect heatmap", "fleetload_connect_stage_duration_seconds",
        "How TCP connect times spread over time.", 'stage="tcp"')

row("Publish and receive")
panel("timeseries", "Publish rate vs target",
      [(f"sum(rate(fleetload_publishes_sent_total{{{F}}}[{RI}]))", "sent/s"),
       (f"sum(fleetload_publish_rate_target{{{F}}})", "target"),
       (f"sum(fleetload_publish_rate_achieved{{{F}}})", "achieved (last interval)")], unit="ops", w=12,
      description="PUBLISH packets sent per second against the rate the scenario asks for in steady phases.")
panel("timeseries", "Receive rate",
      [(f"sum(rate(fleetload_messages_received_total{{{F}}}[{RI}]))", "received/s"),
       (f"sum(rate(fleetload_publishes_acked_total{{{F}}}[{RI}]))", "acked/s")], unit="ops", w=12,
      description="PUBLISHes received on subscriptions per second, and QoS 1/2 acknowledgements per second.")
panel("timeseries", "Publish results by QoS",
      [(f"sum by (qos) (rate(fleetload_publishes_acked_total{{{F}}}[{RI}]))", "acked qos {{qos}}"),
       (f"sum by (qos) (rate(fleetload_ack_timeouts_total{{{F}}}[{RI}]))", "ack timeout qos {{qos}}"),
       (f"sum by (reason) (rate(fleetload_publish_failures_total{{{F}}}[{RI}]))", "failed: {{reason}}")],
      unit="ops", w=8, description="Acknowledged, timed-out and failed publishes per second (failures by reason).")
panel("timeseries", "Publish-to-ack latency", quantiles("fleetload_ack_latency_seconds"), unit="s", w=8,
      description="p50, p90, p99 of PUBLISH to PUBACK (QoS 1) / PUBCOMP (QoS 2).")
heatmap("Publish-to-ack heatmap", "fleetload_ack_latency_seconds", "How ack latencies spread over time.")
panel("timeseries", "End-to-end latency", quantiles("fleetload_e2e_latency_seconds"), unit="s", w=8,
      description="p50, p90, p99 of publisher send time to subscriber receive time (from the payload header).")
heatmap("End-to-end heatmap", "fleetload_e2e_latency_seconds", "How end-to-end latencies spread over time.")
panel("timeseries", "In flight and offline queued",
      [(f"sum(fleetload_publishes_in_flight{{{F}}})", "in flight"),
       (f"sum(fleetload_publishes_offline_queued{{{F}}})", "offline queued")], w=8,
      description="QoS 1/2 publishes sent and not yet acknowledged, and publishes queued while disconnected.")

row("Delivery: loss and duplicates")
panel("timeseries", "Lost, duplicated, out of order (per interval)",
      [(f"sum(increase(fleetload_messages_lost_total{{{F}}}[{RI}]))", "lost"),
       (f"sum(increase(fleetload_messages_duplicated_total{{{F}}}[{RI}]))", "duplicated"),
       (f"sum(increase(fleetload_messages_out_of_order_total{{{F}}}[{RI}]))", "out of order")], w=12,
      description="Sequence numbers subscribers never received, received twice, or after a later one, per interval.")
panel("stat", "Lost (run total)", [(f"sum(fleetload_messages_lost_total{{{F}}})", "lost")], w=4,
      thresholds=steps("green", None, "red", 1),
      description="Messages a subscriber expected and never received, over the run: red from the first.")
panel("stat", "Duplicated (run total)", [(f"sum(fleetload_messages_duplicated_total{{{F}}})", "duplicated")], w=4,
      thresholds=steps("green", None, "orange", 1),
      description="Messages received more than once, over the run (QoS 1 allows duplicates; orange from the first).")
panel("stat", "Loss ratio",
      [(f"sum(fleetload_messages_lost_total{{{F}}}) / clamp_min(sum(fleetload_messages_received_total{{{F}}})"
        f" + sum(fleetload_messages_lost_total{{{F}}}), 1)", "loss")], unit="percentunit", w=4,
      thresholds=steps("green", None, "orange", 0.0001, "red", 0.001),
      description="Lost / (received + lost) over the run: orange from 0.01 %, red from 0.1 %.")

row("Reconnect storm")
panel("timeseries", "Drops by reason",
      [(f"sum by (reason) (rate(fleetload_drops_total{{{F}}}[{RI}]))", "{{reason}}")], unit="ops", w=8,
      description="Established connections lost per second by reason (churn = dropped on purpose by the "
                  "scenario).")
panel("timeseries", "Reconnects and devices backing off",
      [(f"sum(rate(fleetload_reconnects_total{{{F}}}[{RI}]))", "reconnects/s"),
       (f"sum(fleetload_devices_backing_off{{{F}}})", "backing off")], w=8,
      description="Reconnect attempts started per second, and devices waiting out their reconnect delay.")
heatmap("Reconnect delay heatmap", "fleetload_reconnect_delay_seconds",
        "The reconnect delays chosen over time (the jitter at work).")
panel("timeseries", "Pings", [(f"sum(rate(fleetload_pings_sent_total{{{F}}}[{RI}]))", "sent/s"),
                              (f"sum(rate(fleetload_ping_timeouts_total{{{F}}}[{RI}]))", "timeouts/s")],
      unit="ops", w=8, description="PINGREQs sent per second and connections dropped for a missing PINGRESP.")
panel("timeseries", "Ping round trip", quantiles("fleetload_ping_rtt_seconds", qs=(0.5, 0.99)), unit="s", w=8,
      description="p50 and p99 of PINGREQ to PINGRESP.")
panel("timeseries", "Subscribe results",
      [(f"sum(rate(fleetload_subscribe_filters_ok_total{{{F}}}[{RI}]))", "granted/s"),
       (f"sum(rate(fleetload_subscribe_filters_failed_total{{{F}}}[{RI}]))", "refused/s"),
       (f"sum(rate(fleetload_subscribe_timeouts_total{{{F}}}[{RI}]))", "timed out/s")], unit="ops", w=8,
      description="Topic filters granted and refused in SUBACKs per second, and SUBSCRIBEs without a SUBACK.")

row("Per shard")
panel("timeseries", "Connected by shard",
      [(f"sum by (shard) (fleetload_devices_connected{{{F}}})", "shard {{shard}}")], w=8,
      description="Connected devices per shard: a shard that lags shows here.")
panel("timeseries", "Publish rate by shard",
      [(f"sum by (shard) (rate(fleetload_publishes_sent_total{{{F}}}[{RI}]))", "shard {{shard}}")], unit="ops", w=8,
      description="Publishes sent per second per shard.")
panel("timeseries", "Ack p99 by shard", quantiles("fleetload_ack_latency_seconds", "shard", (0.99,)), unit="s", w=8,
      description="p99 publish-to-ack latency per shard.")
panel("timeseries", "Errors by shard: broker vs local limits",
      [(f"sum by (shard) (rate(fleetload_broker_errors_total{{{F}}}[{RI}]))", "broker {{shard}}"),
       (f"sum by (shard) (rate(fleetload_local_limit_errors_total{{{F}}}[{RI}]))", "local {{shard}}")],
      unit="ops", w=12, description="Errors per second the broker caused vs errors from this machine's limits "
                                    "(descriptors, ephemeral ports), per shard.")
panel("timeseries", "Bytes by shard",
      [(f"sum by (shard) (rate(fleetload_bytes_sent_total{{{F}}}[{RI}]))", "sent {{shard}}"),
       (f"sum by (shard) (rate(fleetload_bytes_received_total{{{F}}}[{RI}]))", "received {{shard}}")],
      unit="Bps", w=12, description="MQTT bytes sent and received per second per shard (before TLS/WebSocket "
                                    "framing).")

# The rows below show what only some runs do (a capacity search, AWS IoT behaviours): their
# queries are evaluated against a run that does it (tests/e2e/metrics_rows_e2e_test.cpp).
row("Capacity search")
panel("timeseries", "Search: step value and what the fleet achieved",
      [(f"max(fleetload_search_step_value{{{F}}})", "step value"),
       (f"sum(rate(fleetload_connects_ok_total{{{F}}}[{RI}]))", "connects/s"),
       (f"sum(rate(fleetload_publishes_sent_total{{{F}}}[{RI}]))", "publishes/s"),
       (f"sum(fleetload_devices_connected{{{F}}})", "devices connected")],
      w=16, description="The capacity search's running step: the value it applies (connects/s, msgs/s or "
                        "devices, by the search's vary), against what the fleet achieves of each quantity. In a "
                        "sharded search every shard shows the fleet's value; fleetload report merge judges the "
                        "steps.")
panel("stat", "Search: last judged step", [(f"min(fleetload_search_step_passed{{{F}}})", "last step")],
      w=8, mappings=PASS_FAIL, thresholds=steps("red", None, "green", 1),
      description="Whether the last judged step passed on its own window (every shard's view; a sharded "
                  "search's fleet verdict comes from report merge). The answer is in the report.")

row("AWS IoT: Device Shadow")
panel("timeseries", "Shadow requests by outcome",
      [(f"sum by (op, outcome) (rate(fleetload_shadow_operations_total{{{F}}}[{RI}]))", "{{op}} {{outcome}}")],
      unit="ops", w=10, description="Device Shadow get and update requests answered per second, by outcome: "
                                    "accepted, rejected by code (400, 404, 409, 413, 429, 500), timed out.")
panel("timeseries", "Shadow request latency",
      quantiles("fleetload_shadow_latency_seconds", "op", (0.5, 0.99)), unit="s", w=10,
      description="Request to accepted/rejected answer, p50 and p99 by operation (get, update).")
panel("stat", "Shadow requests in flight", [(f"sum(fleetload_shadow_in_flight{{{F}}})", "in flight")], w=4,
      description="Shadow requests sent and not yet answered or timed out.")


row("AWS IoT: Jobs")
panel("timeseries", "Job executions: started and ended by result",
      [(f"sum(rate(fleetload_job_starts_total{{{F}}}[{RI}]))", "started"),
       (f"sum by (result) (rate(fleetload_job_executions_total{{{F}}}[{RI}]))", "{{result}}"),
       (f"sum(rate(fleetload_job_notifications_total{{{F}}}[{RI}]))", "notify-next heard")],
      unit="ops", w=12,
      description="Job executions the devices started per second (start-next accepted with an execution), those "
                  "that ended per second by how: succeeded, failed (reported FAILED), rejected (an update rejected), "
                  "timed_out (an update unanswered); and notify-next messages announcing a pending execution.")
totals("Job executions (run total)",
       [(f"sum(fleetload_job_starts_total{{{F}}})", "started"),
        (f"sum by (result) (fleetload_job_executions_total{{{F}}})", "{{result}}")],
       "Executions started and how those that ended ended, over the run. started = the ended ones + those "
       "still in progress.", w=8,
       overrides=colour_by_name("succeeded", "green", "failed", "red", "rejected", "red", "timed_out", "orange"))
panel("stat", "Job failure ratio",
      [(f"(sum(fleetload_job_executions_total{{{F}, result!=\"succeeded\"}}) or vector(0))"
        f" / sum(fleetload_job_executions_total{{{F}}})", "not succeeded")],
      unit="percentunit", w=4, h=5, thresholds=steps("green", None, "orange", 0.001, "red", 0.01),
      description="Of the executions that ended, the share that did not end SUCCEEDED (failed, rejected, timed out; "
                  "what max_job_failures judges): orange from 0.1 %, red from 1 %.")
panel("timeseries", "Jobs requests by operation and outcome",
      [(f"sum by (op, outcome) (rate(fleetload_job_requests_total{{{F}}}[{RI}]))", "{{op}} {{outcome}}"),
       (f"sum(rate(fleetload_job_foreign_responses_total{{{F}}}[{RI}]))", "foreign answers (ignored)")],
      unit="ops", w=12,
      description="Jobs requests answered per second by operation (start_next, update) and outcome: accepted, "
                  "rejected_<ErrorResponse code> (version_mismatch, invalid_state_transition, request_throttled, "
                  "...), timed_out; and answers whose clientToken was no request in flight (ignored).")
panel("timeseries", "Jobs request latency",
      quantiles("fleetload_job_request_latency_seconds", "op", (0.5, 0.99)), unit="s", w=12,
      description="Request to accepted/rejected answer, p50 and p99 by operation (start_next, update).")
panel("timeseries", "Job time to start and duration",
      quantiles("fleetload_job_time_to_start_seconds", qs=(0.5, 0.99), name="time to start")
      + quantiles("fleetload_job_duration_seconds", qs=(0.5, 0.99), name="duration"), unit="s", w=12,
      description="From a job's announcement (its notify-next, or the start-next sent at connect) to start-next "
                  "accepted (time to start) and to its final update accepted (duration; what p99_job_duration "
                  "judges), p50 and p99.")
panel("timeseries", "Jobs requests in flight and executions in progress",
      [(f"sum(fleetload_job_requests_in_flight{{{F}}})", "requests in flight"),
       (f"sum(fleetload_job_executions_in_progress{{{F}}})", "executions in progress")], w=12,
      description="Jobs requests sent and not yet answered or timed out, and executions started that have not "
                  "ended yet (a device working on its job).")

row("AWS IoT: Fleet Provisioning")
panel("timeseries", "Provisioning requests by outcome",
      [(f"sum by (op, outcome) (rate(fleetload_provisioning_operations_total{{{F}}}[{RI}]))", "{{op}} {{outcome}}")],
      unit="ops", w=12,
      description="Fleet Provisioning requests answered per second by operation (create_certificate, "
                  "register_thing) and outcome: accepted, rejected_<statusCode> (400, 401, 403, 404, 429, 500, "
                  "other), timed_out.")
panel("timeseries", "Provisioning attempts and results",
      [(f"sum(rate(fleetload_provisioning_attempts_total{{{F}}}[{RI}]))", "attempts"),
       (f"sum(rate(fleetload_provisioning_devices_total{{{F}}}[{RI}]))", "provisioned"),
       (f"sum(rate(fleetload_provisioning_failures_total{{{F}}}[{RI}]))", "failed"),
       (f"sum(rate(fleetload_provisioning_bad_answers_total{{{F}}}[{RI}]))", "unusable answers")],
      unit="ops", w=12,
      description="Attempts begun on claim connections per second, devices connected with their provisioned "
                  "identity, attempts that failed (rejected, timed out or an unusable answer) and answers that "
                  "could not be decoded or used (certificate, key, thing name).")
panel("timeseries", "Provisioning rejections by errorCode",
      [(f"sum by (error_code) (rate(fleetload_provisioning_rejections_total{{{F}}}[{RI}]))", "{{error_code}}")],
      unit="ops", w=8,
      description="Rejected requests per second by the answer's errorCode (InvalidPayload, InvalidCsr, "
                  "InvalidCertificateOwnershipToken, InvalidParameters, ResourceNotFound, Throttling, "
                  "InternalFailure, other).")
panel("timeseries", "Provisioning request latency",
      quantiles("fleetload_provisioning_request_latency_seconds", "op", (0.5, 0.99)), unit="s", w=8,
      description="Request to accepted/rejected answer, p50 and p99 by operation (create_certificate, "
                  "register_thing).")
panel("timeseries", "Time to a provisioned identity",
      quantiles("fleetload_provisioning_latency_seconds", qs=(0.5, 0.99)), unit="s", w=8,
      description="From the claim connection's first connect attempt to the accepting CONNACK with the new "
                  "certificate and thing name, p50 and p99 (what p99_provisioning_latency judges).")
totals("Provisioning (run total)",
       [(f"sum(fleetload_provisioning_attempts_total{{{F}}})", "attempts"),
        (f"sum(fleetload_provisioning_devices_total{{{F}}})", "provisioned"),
        (f"sum(fleetload_provisioning_failures_total{{{F}}})", "failed"),
        (f"sum by (error_code) (fleetload_provisioning_rejections_total{{{F}}})", "{{error_code}}")],
       "Attempts, devices provisioned and failed attempts over the run, and rejections by errorCode.", w=12,
       overrides=colour_by_name("provisioned", "green", "failed", "red"))
panel("stat", "Provisioning failure ratio",
      [(f"sum(fleetload_provisioning_failures_total{{{F}}})"
        f" / (sum(fleetload_provisioning_attempts_total{{{F}}}) > 0)", "failed")],
      unit="percentunit", w=6, h=5, thresholds=steps("green", None, "orange", 0.001, "red", 0.01),
      description="Failed attempts / attempts over the run (what max_provisioning_failures judges): orange from "
                  "0.1 %, red from 1 %. Empty until an attempt began.")
panel("stat", "Provisioning requests in flight",
      [(f"sum(fleetload_provisioning_in_flight{{{F}}})", "in flight")], w=6, h=5,
      description="Fleet Provisioning requests sent and not yet answered or timed out.")


def variable(name, label, query):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "definition": query, "query": {"query": query, "refId": name},
            "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "sort": 1}


dashboard = {
    "uid": "fleetload-capacity",
    "title": "fleetload: capacity test",
    "description": "A fleetload run live: the thresholds verdict, fleet vs target, connects, publish and "
                   "receive rates, latency, loss, reconnect storms, per shard; phases as annotations.",
    "tags": ["fleetload", "mqtt", "load-test"],
    "timezone": "browser",
    "schemaVersion": 38,
    "version": 2,
    "editable": True,
    "graphTooltip": 1,
    "refresh": "5s",
    "time": {"from": "now-15m", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0},
        variable("scenario", "Scenario", "label_values(fleetload_devices_target, scenario)"),
        variable("shard", "Shard", 'label_values(fleetload_devices_target{scenario=~"$scenario"}, shard)'),
        variable("protocol", "Protocol", 'label_values(fleetload_devices_target{scenario=~"$scenario"}, protocol)'),
        variable("auth_mode", "Auth mode", 'label_values(fleetload_devices_target{scenario=~"$scenario"}, auth_mode)'),
        # Empty (just "All") until the metrics carry a group label.
        variable("group", "Group", 'label_values(fleetload_devices_target{scenario=~"$scenario"}, group)'),
    ]},
    # Each phase as a shaded region on every time series: fleetload_phase_info{phase} is 1
    # while that phase runs.
    "annotations": {"list": [
        {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
         "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
        {"name": "Phases", "datasource": DS, "enable": True, "hide": False, "iconColor": "rgba(31, 120, 193, 0.4)",
         "expr": f"max by (phase) (fleetload_phase_info{{{F}}})", "step": "5s", "titleFormat": "phase {{phase}}",
         "textFormat": "{{phase}}", "tagKeys": "phase", "useValueForTime": False},
    ]},
    "panels": panels,
}

out = pathlib.Path(__file__).with_name("fleetload-capacity.json")
out.write_text(json.dumps(dashboard, indent=2) + "\n")
print(f"wrote {out} ({len(panels)} panels)")
