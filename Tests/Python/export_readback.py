#!/usr/bin/env python3
"""Reads sigport export files back the way analysts do (pandas, DuckDB) and compares every
reading with what was imported.

    export_readback.py EXPECTED.json FORMAT=PATH [FORMAT=PATH ...]

FORMAT is csv, wide-csv, jsonl or sqlite; a windowed export is several FORMAT=PATH arguments of
one format (their readings are pooled). EXPECTED.json:

    {"source": "integration",
     "readings": [[epoch_ms, input_id, value], ...],
     "names": {input_id: name}}                       # optional: the name column of long files
    {"source": "ox",
     "readings": [[epoch_ms, sensor_id, event_type, reading, beacon_id], ...],
     "events": {event_id: [epoch_ms, event_type, reading]}}  # optional: the ledger's events

Every file is read by every reader that fits its format:
    csv       pandas.read_csv, DuckDB read_csv
    wide-csv  pandas.read_csv (melted), DuckDB read_csv + UNPIVOT (integration only)
    jsonl     pandas.read_json(lines=True)
    sqlite    sqlite3 + pandas.read_sql, DuckDB sqlite_scan
Timestamps are parsed by the reader (pandas.to_datetime(utc=True), DuckDB epoch_ms) into UTC
epoch milliseconds. Values are compared exactly. Prints one line per reader and the first
differences; exits 0 when every reader matches, 1 on a mismatch, 2 on a usage or read error.
"""

import collections
import json
import math
import re
import sqlite3
import sys
import traceback

import duckdb
import pandas as pd

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")
SHOWN = 8


def duckdb_connection():
    con = duckdb.connect()
    # The SQLite reader comes as a wheel (no download in CI).
    from duckdb_extensions import import_extension
    import_extension("sqlite_scanner")
    con.sql("LOAD sqlite_scanner")
    return con


def epoch_ms(texts):
    """pandas: RFC 3339 texts (any offsets) to UTC epoch milliseconds."""
    times = pd.to_datetime(pd.Series(list(texts), dtype=object), utc=True, format="ISO8601")
    return [int(x) for x in (times - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)]


def number(x):
    """A value as Python compares it: ints stay ints, floats stay floats (-0.0 is 0)."""
    if isinstance(x, bool):
        return int(x)
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**63:
        return int(x)
    return x


class Check:
    def __init__(self, expected):
        self.source = expected["source"]
        self.names = expected.get("names")
        self.events = expected.get("events")
        self.expected = collections.Counter(self.key(r) for r in expected["readings"])
        self.failures = 0

    def key(self, row):
        if self.source == "integration":
            t, series, value = row
            return (int(t), str(series), number(value))
        t, sensor, kind, reading, beacon = row
        return (int(t), str(sensor), str(kind), int(reading), None if beacon is None else str(beacon))

    def fail(self, label, message):
        self.failures += 1
        print(f"FAIL {label}: {message}")

    def compare(self, label, rows, stamps=None, extra=None):
        """rows: keys as `key` builds them; stamps: the timestamp texts, checked for shape."""
        bad = [s for s in (stamps or []) if not STAMP.match(str(s))]
        if bad:
            self.fail(label, f"{len(bad)} timestamps not RFC 3339 with 3 fraction digits, e.g. {bad[:3]}")
        got = collections.Counter(rows)
        missing = self.expected - got
        unexpected = got - self.expected
        for problem in extra or []:
            self.fail(label, problem)
        if missing or unexpected:
            self.fail(label, f"{sum(got.values())} readings read, {sum(self.expected.values())} expected; "
                             f"{sum(missing.values())} missing, {sum(unexpected.values())} unexpected")
            near = {k[:-1] if self.source == "integration" else k[:3]: k for k in unexpected}
            for k in sorted(missing, key=repr)[:SHOWN]:
                other = near.get(k[:-1] if self.source == "integration" else k[:3])
                print(f"    missing    {k!r}" + (f"  (file has {other!r})" if other else ""))
            for k in sorted(unexpected, key=repr)[:SHOWN]:
                print(f"    unexpected {k!r}")
        elif not extra and not bad:
            print(f"ok   {label}: {sum(got.values())} readings")

    # Per-reading checks beyond the compared key.

    def names_problems(self, frame):
        if not self.names or "name" not in frame:
            return []
        wrong = [(i, n, self.names.get(str(i))) for i, n in zip(frame["input_id"], frame["name"]) if self.names.get(str(i)) != n]
        return [f"{len(wrong)} rows with a wrong name, e.g. (input_id, name, expected) {wrong[:3]}"] if wrong else []

    def events_problems(self, frame):
        """ox: every event id is the ledger's event, with its time, type and reading, once."""
        if self.events is None:
            return []
        problems = []
        ids = [str(x) for x in frame["event_id"]]
        twice = [i for i, n in collections.Counter(ids).items() if n > 1]
        if twice:
            problems.append(f"{len(twice)} event ids appear more than once, e.g. {twice[:3]}")
        wrong = []
        for i, t, kind, reading in zip(ids, frame["t"], frame["event_type"], frame["reading"]):
            if self.events.get(i) != [int(t), str(kind), int(reading)]:
                wrong.append((i, int(t), str(kind), int(reading), self.events.get(i)))
        if wrong:
            problems.append(f"{len(wrong)} rows whose event id is not the ledger's event, e.g. {wrong[:3]}")
        return problems

    def long_frame(self, label, frame, stamps):
        """A long file as a DataFrame with a `t` column (epoch ms)."""
        if self.source == "integration":
            rows = [self.key(r) for r in zip(frame["t"], frame["input_id"], frame["value"])]
            extra = self.names_problems(frame)
        else:
            beacons = [None if (b is None or (isinstance(b, float) and math.isnan(b))) else b for b in frame["beacon"]]
            rows = [self.key(r) for r in zip(frame["t"], frame["sensor"], frame["event_type"], frame["reading"], beacons)]
            extra = self.events_problems(frame)
        self.compare(label, rows, stamps, extra)


# Readers. Identifiers (org, entity and event ids) are digits: read as text where the reader
# lets us say so, else compared as text.

IDS = {"org": str, "event_id": str, "sensor_entity_id": str, "beacon_entity_id": str,
       "integration": str, "signal_id": str, "item_id": str, "input_id": str, "sensor": str, "beacon": str}


def read_csv(check, paths):
    frames = [pd.read_csv(p, dtype=IDS, keep_default_na=False, na_values=[""]) for p in paths]
    frame = pd.concat(frames, ignore_index=True)
    stamps = list(frame["timestamp"])
    frame["t"] = epoch_ms(stamps)
    check.long_frame("csv / pandas.read_csv", frame, stamps)

    con = duckdb_connection()
    files = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
    value = "value" if check.source == "integration" else "reading"
    other = "input_id, name" if check.source == "integration" else "sensor, event_type, beacon, CAST(event_id AS VARCHAR) AS event_id"
    frame = con.sql(f"SELECT epoch_ms(timestamp) AS t, {value}, {other}, typeof(timestamp) AS kind "
                    f"FROM read_csv({files}, union_by_name = true)").df()
    kinds = set(frame["kind"])
    extra = [] if kinds <= {"TIMESTAMP WITH TIME ZONE"} or frame.empty else [f"DuckDB read the timestamp column as {kinds}"]
    if extra:
        check.fail("csv / duckdb.read_csv", extra[0])
    check.long_frame("csv / duckdb.read_csv", frame, None)


def read_wide(check, paths):
    if check.source != "integration":
        raise SystemExit("wide-csv is compared for integration exports only")
    rows, stamps = [], []
    for p in paths:
        frame = pd.read_csv(p, keep_default_na=False, na_values=[""])
        stamps += list(frame["timestamp"])
        frame["t"] = epoch_ms(frame["timestamp"])
        long = frame.drop(columns="timestamp").melt(id_vars="t", var_name="series", value_name="value").dropna(subset=["value"])
        rows += [check.key(r) for r in zip(long["t"], long["series"], long["value"])]
    check.compare("wide-csv / pandas.read_csv + melt", rows, stamps)

    con = duckdb_connection()
    rows = []
    for p in paths:
        con.sql(f"CREATE OR REPLACE TABLE wide AS SELECT * FROM read_csv('{p}')")
        if con.sql("SELECT count(*) FROM wide").fetchone()[0] == 0:
            continue  # an empty window: a header only, nothing to type
        columns = [c for c in con.sql("SELECT * FROM wide LIMIT 0").columns if c != "timestamp"]
        casts = ", ".join(f'CAST("{c}" AS DOUBLE) AS "{c}"' for c in columns)
        frame = con.sql(f"UNPIVOT (SELECT epoch_ms(timestamp) AS t, {casts} FROM wide) "
                        f"ON COLUMNS(* EXCLUDE (t)) INTO NAME series VALUE value").df()
        rows += [check.key(r) for r in zip(frame["t"], frame["series"], frame["value"])]
    check.compare("wide-csv / duckdb.read_csv + UNPIVOT", rows)


def read_jsonl(check, paths):
    frames = [pd.read_json(p, lines=True, dtype=False, precise_float=True) for p in paths]
    frame = pd.concat(frames, ignore_index=True)
    stamps = list(frame["timestamp"])
    frame["t"] = epoch_ms(stamps)
    check.long_frame("jsonl / pandas.read_json", frame, stamps)


def read_sqlite(check, paths):
    frames = []
    for p in paths:
        with sqlite3.connect(p) as db:
            frames.append(pd.read_sql("SELECT * FROM readings", db))
            series = pd.read_sql("SELECT * FROM series", db)
            about = dict(db.execute("SELECT key, value FROM export").fetchall())
        if set(frames[-1]["series"]) - set(series["series"]):
            check.fail(f"sqlite {p}", "readings name series the series table does not list")
        if about.get("epochUnit") != "ms":
            check.fail(f"sqlite {p}", f"export table: epochUnit is {about.get('epochUnit')!r}")
    frame = pd.concat(frames, ignore_index=True)
    stamps = list(frame["timestamp"])
    frame["t"] = epoch_ms(stamps)
    off = [(s, e) for s, t, e in zip(stamps, frame["t"], frame["epoch_ms"]) if int(t) != int(e)]
    if off:
        check.fail("sqlite / pandas.read_sql", f"{len(off)} rows whose epoch_ms is not their timestamp, e.g. {off[:3]}")
    check.long_frame("sqlite / pandas.read_sql", frame, stamps)

    con = duckdb_connection()
    value = "value" if check.source == "integration" else "reading"
    other = "input_id, name" if check.source == "integration" else "sensor, event_type, beacon, event_id"
    union = " UNION ALL ".join(f"SELECT epoch_ms, {value}, {other}, timestamp FROM sqlite_scan('{p}', 'readings')" for p in paths)
    frame = con.sql(f"SELECT epoch_ms(CAST(timestamp AS TIMESTAMPTZ)) AS t, epoch_ms AS stored, * EXCLUDE (epoch_ms, timestamp) FROM ({union})").df()
    off = frame[frame["t"] != frame["stored"]]
    if len(off):
        check.fail("sqlite / duckdb.sqlite_scan", f"{len(off)} rows whose epoch_ms is not their timestamp")
    check.long_frame("sqlite / duckdb.sqlite_scan", frame, None)


READERS = {"csv": read_csv, "wide-csv": read_wide, "jsonl": read_jsonl, "sqlite": read_sqlite}


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    with open(argv[1]) as f:
        check = Check(json.load(f))
    files = collections.defaultdict(list)
    for arg in argv[2:]:
        fmt, _, path = arg.partition("=")
        if fmt not in READERS or not path:
            print(f"usage: FORMAT=PATH with FORMAT one of {', '.join(READERS)}; got {arg!r}")
            return 2
        files[fmt].append(path)
    for fmt, paths in files.items():
        try:
            READERS[fmt](check, paths)
        except Exception:
            check.fail(fmt, "could not be read:")
            traceback.print_exc(file=sys.stdout)
    print(f"{check.failures} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
