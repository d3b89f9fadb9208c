#!/usr/bin/env python3
"""
Capture server / reference fake for the Clarify integration API, as spoken by pyclarify.

Research tool (not the emulator): logs every request (path, headers, body) as one JSON line and
answers like the Clarify API 1.1 would, so that pyclarify's pydantic models validate.

  python3 pyclarify_capture_server.py --mode stateful --log /tmp/capture.jsonl --creds /tmp/creds.json
  python3 pyclarify_capture_server.py --mode canned   --log /tmp/capture.jsonl --creds /tmp/creds.json

It binds 127.0.0.1 on a random free port, writes a pyclarify credentials file whose apiUrl points
at itself (http://127.0.0.1:PORT/v1/), prints "READY <port>" and serves until killed.

--mode canned   : the minimal responses documented in pyclarify-wire.md, whatever was sent.
--mode stateful : a small in-memory fake (signals, items, data) good enough for
                  Tests/Conformance/pyclarify_conformance.py to pass end-to-end.
"""
import argparse
import json
import os
import random
import re
import sys
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

INTEGRATION_ID = "c8ktonqsahsmemfs7lv0"  # must match ^[a-v0-9]{20}$ or pyclarify refuses to build requests
CLIENT_ID = "capture-client"
CLIENT_SECRET = "capture-secret"
TOKEN = "capture-token-0001"
XID_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
NOW = "2024-01-01T00:00:00Z"

LOCK = threading.Lock()
STATE = {"signals": {}, "items": {}, "data": {}, "counter": 0}
# signals: signal id -> {"input":..., "attrs": {...}, "item": item id or None, "createdAt", "updatedAt"}
# items:   item id -> {"signal": signal id, "attrs": {...}, ...}
# data:    signal id -> {datetime(UTC, µs): value}


def new_id():
    STATE["counter"] += 1
    return "c" + "".join(random.choice(XID_ALPHABET) for _ in range(14)) + format(STATE["counter"], "05d")[-5:]


def now_rfc3339():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- canned (minimal) responses -------------------------------------------------------------

MIN_SIGNAL = {
    "type": "signals",
    "id": "c8ktonqsahsmemfs7lvg",
    "meta": {"createdAt": NOW, "updatedAt": NOW},
    "attributes": {"name": "Signal A", "input": "a"},
    "relationships": {},
}
MIN_ITEM = {
    "type": "items",
    "id": "c8ktonqsahsmemfs7lu0",
    "meta": {"createdAt": NOW, "updatedAt": NOW},
    "attributes": {"name": "Item A"},
}


def canned(method, params):
    if method == "integration.saveSignals":
        keys = (params.get("signalsByInput") or params.get("inputs") or {"a": None}).keys()
        return {"signalsByInput": {k: {"id": "c8ktonqsahsmemfs7lvg", "created": True, "updated": False} for k in keys}}
    if method == "integration.insert":
        keys = (params.get("data") or {}).get("series", {}).keys()
        return {"signalsByInput": {k: {"id": "c8ktonqsahsmemfs7lvg", "created": False} for k in keys}}
    if method == "admin.selectSignals":
        return {"meta": {"total": -1, "format": {}}, "data": [MIN_SIGNAL]}
    if method == "admin.publishSignals":
        keys = (params.get("itemsBySignal") or {}).keys()
        return {"itemsBySignal": {k: {"id": "c8ktonqsahsmemfs7lu0", "created": True, "updated": False} for k in keys}}
    if method == "clarify.selectItems":
        return {"meta": {"total": -1, "format": {}}, "data": [MIN_ITEM]}
    if method == "clarify.dataFrame":
        return {"meta": {"total": -1, "format": {}},
                "data": {"times": ["2024-01-01T00:00:00Z"], "series": {"c8ktonqsahsmemfs7lu0": [1.5]}}}
    return None


# --- stateful fake --------------------------------------------------------------------------

_DUR = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(v):
    """Both 'PT1M' and pyclarify's 'P0DT0H1M0.000000S'. Returns seconds or None."""
    if v is None:
        return None
    m = _DUR.match(v)
    if not m:
        raise ValueError(f"bad duration {v!r}")
    d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


def fmt_duration(sec):
    """Canonical short RFC 3339 duration, e.g. PT1M, PT1H30M, P1D, PT0.5S."""
    if sec is None:
        return None
    us = round(sec * 1_000_000)
    days, us = divmod(us, 86_400_000_000)
    h, us = divmod(us, 3_600_000_000)
    m, us = divmod(us, 60_000_000)
    s, us = divmod(us, 1_000_000)
    out = "P" + (f"{days}D" if days else "")
    t = (f"{h}H" if h else "") + (f"{m}M" if m else "")
    if s or us:
        t += (f"{s}.{us:06d}".rstrip("0").rstrip(".") if us else str(s)) + "S"
    if t:
        out += "T" + t
    return out if out != "P" else "PT0S"


def parse_time(v):
    t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("time without offset")
    return t.astimezone(timezone.utc)


def fmt_time(t):
    return t.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


SIGNAL_DEFAULTS = {"name": "", "description": "", "labels": {}, "sourceType": "measurement", "valueType": "numeric",
                   "engUnit": "", "enumValues": {}, "sampleInterval": None, "gapDetection": None}


def save_view(src, defaults):
    out = dict(defaults)
    for k in defaults:
        if k in src:
            out[k] = src[k]
    if "type" in src and "valueType" not in src:  # 1.0 / 1.1beta1 name
        out["valueType"] = src["type"]
    for k in ("sampleInterval", "gapDetection"):
        out[k] = fmt_duration(parse_duration(out[k]))
    return out


def signal_view(sid, s):
    attrs = dict(s["attrs"], input=s["input"])
    return {
        "type": "signals", "id": sid,
        "meta": {"annotations": s.get("annotations", {}), "createdAt": s["createdAt"], "updatedAt": s["updatedAt"]},
        "attributes": attrs,
        "relationships": {
            "integration": {"data": {"type": "integrations", "id": INTEGRATION_ID}},
            "item": {"data": {"type": "items", "id": s["item"]} if s["item"] else None},
        },
    }


def item_view(iid, it):
    return {
        "type": "items", "id": iid,
        "meta": {"annotations": it.get("annotations", {}), "createdAt": it["createdAt"], "updatedAt": it["updatedAt"]},
        "attributes": dict(it["attrs"]),
        "relationships": {"signals": {"data": [{"type": "signals", "id": it["signal"]}]}},
    }


def match(doc, flt):
    """Tiny subset of the Mongo-like resource filter: equality, $in, $nin, $ne, $and, $or, dotted paths."""
    for key, cond in (flt or {}).items():
        if key == "$and":
            if not all(match(doc, f) for f in cond):
                return False
            continue
        if key == "$or":
            if not any(match(doc, f) for f in cond):
                return False
            continue
        val = doc
        for part in key.split("."):
            val = val.get(part) if isinstance(val, dict) else None
        vals = val if isinstance(val, list) else [val]
        if isinstance(cond, dict):
            for op, arg in cond.items():
                if op == "$in" and not any(v in arg for v in vals):
                    return False
                if op == "$nin" and any(v in arg for v in vals):
                    return False
                if op == "$ne" and arg in vals:
                    return False
        elif cond not in vals:
            return False
    return True


def select(views, query):
    query = query or {}
    rows = [v for v in views if match(dict(v["attributes"], id=v["id"]), query.get("filter"))]
    total = len(rows) if query.get("total") else -1
    skip = query.get("skip") or 0
    limit = query.get("limit")
    rows = rows[skip:] if limit is None or limit < 0 else rows[skip:skip + limit]
    return rows, total


def stateful(method, params):
    now = now_rfc3339()
    if method == "integration.saveSignals":
        out = {}
        for inp, view in (params.get("signalsByInput") or params.get("inputs") or {}).items():
            sid = next((k for k, s in STATE["signals"].items() if s["input"] == inp), None)
            created = sid is None
            if created:
                sid = new_id()
                STATE["signals"][sid] = {"input": inp, "item": None, "createdAt": now}
            elif params.get("createOnly"):
                out[inp] = {"id": sid, "created": False, "updated": False}
                continue
            s = STATE["signals"][sid]
            s["attrs"] = save_view(view, SIGNAL_DEFAULTS)
            s["annotations"] = dict(view.get("annotations") or {})
            s["updatedAt"] = now
            out[inp] = {"id": sid, "created": created, "updated": not created}
        return {"signalsByInput": out}
    if method == "integration.insert":
        data = params["data"]
        times = [parse_time(t) for t in data["times"]]
        out = {}
        for inp, values in data["series"].items():
            if len(values) != len(times):
                raise RPCError(-32602, "Invalid params", {"params": {f"data.series.{inp}": ["not same length as times"]}})
            sid = next((k for k, s in STATE["signals"].items() if s["input"] == inp), None)
            created = sid is None
            if created:
                sid = new_id()
                STATE["signals"][sid] = {"input": inp, "item": None, "createdAt": now, "updatedAt": now,
                                         "attrs": dict(SIGNAL_DEFAULTS, name=inp), "annotations": {}}
            store = STATE["data"].setdefault(sid, {})
            for t, v in zip(times, values):
                if v is not None:
                    store[t] = v
            out[inp] = {"id": sid, "created": created}
        return {"signalsByInput": out}
    if method == "admin.selectSignals":
        rows, total = select([signal_view(k, s) for k, s in STATE["signals"].items()], params.get("query"))
        return {"meta": {"total": total, "format": {"dataAsArray": True, "groupIncludedByType": True}}, "data": rows}
    if method == "admin.publishSignals":
        out = {}
        for sid, view in (params.get("itemsBySignal") or {}).items():
            s = STATE["signals"].get(sid)
            if s is None:
                raise RPCError(-32602, "Invalid params", {"params": {f"itemsBySignal.{sid}": ["signal not found"]}})
            iid = s["item"]
            created = iid is None
            if created:
                iid = new_id()
                s["item"] = iid
                STATE["items"][iid] = {"signal": sid, "createdAt": now}
            elif params.get("createOnly"):
                out[sid] = {"id": iid, "created": False, "updated": False}
                continue
            it = STATE["items"][iid]
            it["attrs"] = save_view(view, dict(SIGNAL_DEFAULTS, visible=False))
            it["annotations"] = dict(view.get("annotations") or {})
            it["updatedAt"] = now
            out[sid] = {"id": iid, "created": created, "updated": not created}
        return {"itemsBySignal": out}
    if method == "clarify.selectItems":
        rows, total = select([item_view(k, i) for k, i in STATE["items"].items()], params.get("query"))
        return {"meta": {"total": total, "format": {"dataAsArray": True, "groupIncludedByType": True}}, "data": rows}
    if method == "clarify.dataFrame":
        rows, total = select([item_view(k, i) for k, i in STATE["items"].items()], params.get("query"))
        times_f = ((params.get("data") or {}).get("filter") or {}).get("times") or {}
        gte = parse_time(times_f["$gte"]) if "$gte" in times_f else None
        lt = parse_time(times_f["$lt"]) if "$lt" in times_f else None
        per_item = {}
        for r in rows:
            pts = STATE["data"].get(STATE["items"][r["id"]]["signal"], {})
            per_item[r["id"]] = {t: v for t, v in pts.items() if (gte is None or t >= gte) and (lt is None or t < lt)}
        times = sorted({t for pts in per_item.values() for t in pts})
        series = {iid: [pts.get(t) for t in times] for iid, pts in per_item.items() if pts}
        return {"meta": {"total": total, "format": {"dataAsArray": False, "groupIncludedByType": True}},
                "data": {"times": [fmt_time(t) for t in times], "series": series}}
    return None


class RPCError(Exception):
    def __init__(self, code, message, data=None):
        self.code, self.message, self.data = code, message, data


# --- HTTP -----------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "stateful"
    log_path = None

    def log_message(self, *a):
        pass

    def _reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return obj

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        rec = {"path": self.path, "headers": dict(self.headers.items()), "body": raw}
        try:
            rec["response"] = self._handle(raw)
        finally:
            with LOCK, open(self.log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")

    def _handle(self, raw):
        if self.path == "/v1/oauth/token":
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return self._reply(401, {"error": "invalid_client", "error_description": "bad client credentials"})
            return self._reply(200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer",
                                     "scope": "invalid-scope"})
        if self.path != "/v1/rpc":
            return self._reply(404, {"error": "not found"})
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, {"error": "unauthorized"})
        req = json.loads(raw)
        method, params, rid = req.get("method"), req.get("params") or {}, req.get("id")
        try:
            with LOCK:
                result = (canned if self.mode == "canned" else stateful)(method, params)
            if result is None:
                raise RPCError(-32601, "Method not found")
            return self._reply(200, {"jsonrpc": "2.0", "id": rid, "result": result})
        except RPCError as e:
            err = {"code": e.code, "message": e.message, "data": dict({"trace": "capture"}, **(e.data or {}))}
            return self._reply(200, {"jsonrpc": "2.0", "id": rid, "error": err})
        except (KeyError, ValueError, TypeError) as e:
            err = {"code": -32602, "message": "Invalid params", "data": {"trace": "capture", "params": {"": [repr(e)]}}}
            return self._reply(200, {"jsonrpc": "2.0", "id": rid, "error": err})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["canned", "stateful"], default="stateful")
    ap.add_argument("--log", required=True)
    ap.add_argument("--creds", required=True)
    a = ap.parse_args()
    Handler.mode, Handler.log_path = a.mode, a.log
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    with open(a.creds, "w") as f:
        json.dump({"apiUrl": f"http://127.0.0.1:{port}/v1/", "integration": INTEGRATION_ID,
                   "credentials": {"type": "client-credentials", "clientId": CLIENT_ID,
                                   "clientSecret": CLIENT_SECRET}}, f, indent=2)
    print(f"READY {port}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
