#!/usr/bin/env python3
"""
The payload-density baseline of `make bench`: what pyclarify (PyPI) sends to insert a frame.

Usage:
    pyclarify_density.py WIDE_CSV CREDENTIALS_JSON

Reads the bench's wide CSV (timestamp, site, s0..s9) the way a pyclarify user would, with pandas:
one column per input ID (`{site}/{column}`, the IDs sigport's mapping gives the same values),
indexed by time, and inserts it with pyclarify's own `Client.insert` into the emulator named by
CREDENTIALS_JSON (the file `sigport emulator --bootstrap` writes; its `integration` section is
what pyclarify reads). The client's `make_request` is wrapped to record the exact body it posts,
so the figure is pyclarify's serialization (pydantic `model_dump` + `json.dumps`), not a
re-creation of it; sending it for real shows the body is one the API accepts.

Prints one JSON object: readings (non-null values in the frame), bodyBytes, requests, rows, and
the pyclarify version.
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")  # pyclarify 0.7.0 emits pydantic deprecation warnings

import pandas as pd
import pyclarify
from pyclarify import Client


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    csv_path, credentials_path = sys.argv[1], sys.argv[2]
    with open(credentials_path) as f:
        credentials = json.load(f)["integration"]

    table = pd.read_csv(csv_path)
    values = [c for c in table.columns if c not in ("timestamp", "site")]
    sites = table["site"].unique()
    if len(sites) != 1:
        sys.exit(f"expected one site, found {list(sites)}")
    frame = table[values].rename(columns={c: f"{sites[0]}/{c}" for c in values})
    frame.index = pd.to_datetime(table["timestamp"], utc=True)

    client = Client(credentials)
    bodies = []
    post = client.make_request

    def recording(payload):
        bodies.append(len(payload.encode("utf-8") if isinstance(payload, str) else payload))
        return post(payload)

    client.make_request = recording
    response = client.insert(frame)
    if response is None or response.error is not None:
        sys.exit(f"pyclarify insert failed: {response.error if response else 'no response'}")

    print(json.dumps({
        "rows": len(frame),
        "readings": int(frame.count().sum()),
        "bodyBytes": sum(bodies),
        "requests": len(bodies),
        "pyclarify": pyclarify.__version__,
    }))


if __name__ == "__main__":
    main()
