#!/usr/bin/env python3
"""
Conformance check: the official Clarify Python SDK (pyclarify) against our emulator.

Usage:
    python3 pyclarify_conformance.py /path/to/clarify-credentials.json [--strict]

The SDK is used as its documentation shows: calls one after another, no sleeps, the token
fetched and cached by the SDK. Against the emulator's default configuration (requests over a
method's rate are queued, as the 1.1 service does) every call must succeed. With --strict the
emulator is expected to run with --over-rate reject: the script then shows what pyclarify does
with the 429s its back-to-back windows of one data_frame call earn.

The credentials file is the one pyclarify reads (written by the emulator):
    {"apiUrl": "http://127.0.0.1:PORT/v1/",          # trailing slash required
     "integration": "<20 chars of [a-v0-9]>",         # pyclarify validates this pattern
     "credentials": {"type": "client-credentials", "clientId": "...", "clientSecret": "..."}}

Only pyclarify's public calls are used: Client, Signal, Item, DataFrame, query.Filter/In and
Client.save_signals / insert / select_signals / publish_signals / select_items / data_frame.
Written against pyclarify 0.7.0 (API version header "1.1"). Prints one PASS/FAIL line per check
and exits 1 if any check failed (2 on a usage or set-up error).
"""
import math
import sys
import uuid
import warnings
from datetime import datetime, timedelta, timezone

warnings.simplefilter("ignore")  # pyclarify 0.7.0 emits many pydantic deprecation warnings

try:
    import pyclarify
    from pyclarify import Client, DataFrame, Item, Signal, query
except ImportError as exc:  # pragma: no cover
    print(f"FAIL setup: pyclarify is not importable ({exc}); pip install pyclarify")
    sys.exit(2)

FAILURES = []
CHECKS_RUN = [0]


def check(name, ok, detail=""):
    CHECKS_RUN[0] += 1
    line = f"{'PASS' if ok else 'FAIL'} {name}"
    if detail and not ok:
        line += f": {detail}"
    print(line, flush=True)
    if not ok:
        FAILURES.append(name)
    return ok


def finish():
    print(f"{CHECKS_RUN[0] - len(FAILURES)} passed, {len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


def fatal(name, detail):
    check(name, False, detail)
    finish()


def call(name, fn, *args, **kwargs):
    """Run one SDK call; a raised exception or a JSON-RPC error aborts the run."""
    try:
        response = fn(*args, **kwargs)
    except Exception as exc:  # pydantic ValidationError, HTTP/JSON errors, ...
        fatal(name, f"{type(exc).__name__}: {exc}")
    if response is None:
        fatal(name, "the SDK returned no response")
    if response.error is not None:
        fatal(name, f"JSON-RPC error {response.error!r}")
    if response.result is None:
        fatal(name, "response has neither result nor error")
    check(name, True)
    return response.result


def same_value(got, want):
    missing_got = got is None or (isinstance(got, float) and math.isnan(got))
    missing_want = want is None or (isinstance(want, float) and math.isnan(want))
    if missing_got or missing_want:
        return missing_got and missing_want
    return math.isclose(float(got), float(want), rel_tol=1e-12, abs_tol=1e-12)


def as_utc(t):
    return t.astimezone(timezone.utc) if t.tzinfo else t.replace(tzinfo=timezone.utc)


def long_range(client, run, base):
    """A signal with one reading in each 40-day window of 152 days, published, and the
    data_frame call over all of it (pyclarify sends one request per window, back to back)."""
    in_c = f"conf-{run}/long"
    start = base - timedelta(days=152)
    times = [start + timedelta(days=d, hours=1) for d in (0, 40, 80, 120, 151)]
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    res = call("insert over 152 days: request accepted", client.insert, DataFrame(times=times, series={in_c: values}))
    sid = res.signalsByInput[in_c].id
    res = call("publish the 152-day signal: request accepted", client.publish_signals,
               items_by_signal={sid: Item(name="Conformance long item", labels={"run": [run]}, visible=True)})
    iid = res.itemsBySignal[sid].id
    response = client.data_frame(filter=query.Filter(fields={"id": query.In(value=[iid])}),
                                 gte=start, lt=start + timedelta(days=152))
    frame = response.result.data if response.result is not None else None
    got = {}
    if frame is not None:
        for t, v in zip(frame.times or [], (frame.series or {}).get(iid, [])):
            got[as_utc(t)] = v
    return times, values, got, response.error


def strict(client):
    """Against --over-rate reject: pyclarify's own windows of one call come faster than 1/s."""
    run = uuid.uuid4().hex[:8]
    base = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    times, values, got, error = long_range(client, run, base)
    print(f"strict: pyclarify's data_frame over 152 days returned {len(got)} of {len(times)} readings; error: {error!r}")
    check("strict: the emulator refused windows pyclarify sent back to back (data missing or an error)",
          len(got) < len(times) or error is not None)
    finish()


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--strict"):
        print("usage: pyclarify_conformance.py CREDENTIALS_JSON [--strict]")
        sys.exit(2)
    print(f"pyclarify {pyclarify.__version__}, API version {pyclarify.__API_version__}")

    try:
        client = Client(sys.argv[1])
    except Exception as exc:
        fatal("client: read credentials", f"{type(exc).__name__}: {exc}")
    check("client: read credentials", True)
    if len(sys.argv) == 3:
        strict(client)

    run = uuid.uuid4().hex[:8]
    in_a, in_b = f"conf-{run}/temp", f"conf-{run}/flow"
    minute, five = timedelta(minutes=1), timedelta(minutes=5)
    sig_a = Signal(
        name="Conformance temperature",
        description="pyclarify conformance signal A",
        labels={"site": ["pier"], "run": [run]},
        engUnit="°C",
        sampleInterval="PT1M",
        gapDetection="PT5M",
    )
    sig_b = Signal(
        name="Conformance flow",
        labels={"site": ["pier", "banana stand"], "run": [run]},
        engUnit="l/s",
        sampleInterval=minute,
        gapDetection=five,
    )
    wanted_signals = {in_a: sig_a, in_b: sig_b}

    # 1. integration.saveSignals
    res = call("save_signals: request accepted", client.save_signals, signals_by_input=wanted_signals)
    by_input = res.signalsByInput
    check("save_signals: one summary per input", set(by_input) == {in_a, in_b}, f"got {sorted(by_input)}")
    check("save_signals: both signals created", all(by_input[i].created for i in (in_a, in_b) if i in by_input),
          f"got {by_input!r}")
    if set(by_input) != {in_a, in_b}:
        finish()
    sid = {i: by_input[i].id for i in (in_a, in_b)}
    check("save_signals: distinct signal ids", sid[in_a] != sid[in_b], f"got {sid}")

    # 2. integration.insert: four timestamps, two series, a NaN in one and a None in the other
    base = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=30)
    times = [base, base + minute, base + 2 * minute + timedelta(milliseconds=250), base + 3 * minute]
    values = {
        in_a: [21.5, 22.25, float("nan"), -4.0],
        in_b: [10, None, 30.5, 1e6],
    }
    res = call("insert: request accepted", client.insert, DataFrame(times=times, series=values))
    ins = res.signalsByInput
    check("insert: one summary per input", set(ins) == {in_a, in_b}, f"got {sorted(ins)}")
    check("insert: ids match save_signals",
          all(i in ins and ins[i].id == sid[i] for i in (in_a, in_b)), f"got {ins!r}, want {sid}")
    check("insert: existing signals not created again",
          all(i in ins and ins[i].created is False for i in (in_a, in_b)), f"got {ins!r}")

    # 3. admin.selectSignals
    res = call("select_signals: request accepted", client.select_signals,
               filter=query.Filter(fields={"id": query.In(value=list(sid.values()))}), total=True)
    rows = {s.id: s for s in (res.data or [])}
    check("select_signals: returns the two signals", set(rows) == set(sid.values()),
          f"got ids {sorted(rows)}, want {sorted(sid.values())}")
    check("select_signals: meta.total counts them", res.meta.total == 2, f"got {res.meta.total}")
    for inp, want in wanted_signals.items():
        row = rows.get(sid[inp])
        if row is None:
            continue
        a = row.attributes
        check(f"select_signals[{inp}]: type is signals", row.type == "signals", f"got {row.type!r}")
        check(f"select_signals[{inp}]: input", a.input == inp, f"got {a.input!r}")
        check(f"select_signals[{inp}]: name", a.name == want.name, f"got {a.name!r}")
        check(f"select_signals[{inp}]: description", a.description == want.description, f"got {a.description!r}")
        check(f"select_signals[{inp}]: labels", a.labels == want.labels, f"got {a.labels!r}")
        check(f"select_signals[{inp}]: engUnit", a.engUnit == want.engUnit, f"got {a.engUnit!r}")
        check(f"select_signals[{inp}]: valueType numeric", getattr(a.valueType, "value", a.valueType) == "numeric",
              f"got {a.valueType!r}")
        check(f"select_signals[{inp}]: sampleInterval PT1M", a.sampleInterval == minute, f"got {a.sampleInterval!r}")
        check(f"select_signals[{inp}]: gapDetection PT5M", a.gapDetection == five, f"got {a.gapDetection!r}")

    # 4. admin.publishSignals
    wanted_items = {
        sid[in_a]: Item(name="Conformance temperature item", labels={"site": ["pier"], "run": [run]},
                        engUnit="°C", sampleInterval="PT1M", gapDetection="PT5M", visible=True),
        sid[in_b]: Item(name="Conformance flow item", labels={"site": ["banana stand"], "run": [run]},
                        engUnit="l/s", sampleInterval="PT1M", gapDetection="PT5M", visible=True),
    }
    res = call("publish_signals: request accepted", client.publish_signals, items_by_signal=wanted_items)
    pub = res.itemsBySignal
    check("publish_signals: one summary per signal", set(pub) == set(sid.values()), f"got {sorted(pub)}")
    check("publish_signals: items created", all(p.created for p in pub.values()), f"got {pub!r}")
    if set(pub) != set(sid.values()):
        finish()
    iid = {inp: pub[sid[inp]].id for inp in (in_a, in_b)}
    check("publish_signals: distinct item ids", iid[in_a] != iid[in_b], f"got {iid}")

    # 4b. the signals now point at their items
    res = call("select_signals after publish: request accepted", client.select_signals,
               filter=query.Filter(fields={"id": query.In(value=list(sid.values()))}))
    for row in res.data or []:
        inp = row.attributes.input
        rel = getattr(row.relationships, "item", None)
        linked = {getattr(getattr(rel, "data", None), "id", None), row.attributes.item}
        check(f"select_signals[{inp}]: linked to its item", iid.get(inp) in linked,
              f"relationships.item={rel!r}, attributes.item={row.attributes.item!r}, want {iid.get(inp)}")

    # 5. clarify.selectItems
    res = call("select_items: request accepted", client.select_items,
               filter=query.Filter(fields={"id": query.In(value=list(iid.values()))}), total=True)
    items = {i.id: i for i in (res.data or [])}
    check("select_items: returns the two items", set(items) == set(iid.values()),
          f"got {sorted(items)}, want {sorted(iid.values())}")
    check("select_items: meta.total counts them", res.meta.total == 2, f"got {res.meta.total}")
    for inp in (in_a, in_b):
        row = items.get(iid[inp])
        if row is None:
            continue
        want = wanted_items[sid[inp]]
        a = row.attributes
        check(f"select_items[{inp}]: type is items", row.type == "items", f"got {row.type!r}")
        check(f"select_items[{inp}]: name", a.name == want.name, f"got {a.name!r}")
        check(f"select_items[{inp}]: labels", a.labels == want.labels, f"got {a.labels!r}")
        check(f"select_items[{inp}]: engUnit", a.engUnit == want.engUnit, f"got {a.engUnit!r}")
        check(f"select_items[{inp}]: visible", a.visible is True, f"got {a.visible!r}")
        check(f"select_items[{inp}]: sampleInterval PT1M", a.sampleInterval == minute, f"got {a.sampleInterval!r}")
        check(f"select_items[{inp}]: gapDetection PT5M", a.gapDetection == five, f"got {a.gapDetection!r}")

    # 6. clarify.dataFrame
    res = call("data_frame: request accepted", client.data_frame,
               filter=query.Filter(fields={"id": query.In(value=list(iid.values()))}),
               gte=times[0] - minute, lt=times[-1] + minute)
    frame = res.data
    got_times = [as_utc(t) for t in (frame.times or [])]
    series = frame.series or {}
    check("data_frame: times are the inserted times", got_times == times,
          f"got {[t.isoformat() for t in got_times]}, want {[t.isoformat() for t in times]}")
    check("data_frame: one series per item", set(series) == set(iid.values()),
          f"got {sorted(series)}, want {sorted(iid.values())}")
    for inp in (in_a, in_b):
        got = series.get(iid[inp])
        if got is None:
            continue
        by_time = dict(zip(got_times, got))
        want = values[inp]
        ok = len(got) == len(got_times) and all(same_value(by_time.get(t), v) for t, v in zip(times, want))
        check(f"data_frame[{inp}]: values equal inserted (NaN/None as missing)", ok,
              f"got {got}, want {want}")

    # 7. clarify.dataFrame over more than 40 days: four windows sent back to back, queued by the
    # service's throttling, every window's data returned.
    times, values, got, error = long_range(client, run, base)
    check("data_frame over 152 days: no error", error is None, f"got {error!r}")
    check("data_frame over 152 days: every window's reading arrived",
          [got.get(t) for t in times] == values, f"got {sorted((t.isoformat(), v) for t, v in got.items())}")

    finish()


if __name__ == "__main__":
    main()
