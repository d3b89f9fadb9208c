#!/usr/bin/env python3
"""Writes samples/: realistic device logs for each layout sigport maps (deterministic)."""
import json, math, random
from datetime import datetime, timedelta, timezone

random.seed(20240301)
root = "samples"

# Wide CSV from two gateways: one row a minute, one column per signal.
for serial, site in (("0042", "pier"), ("0107", "yard")):
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    with open(f"{root}/gateway/gw-{serial}_2024-03.csv", "w", newline="") as f:
        f.write("timestamp,site,temp_c,humidity_pct,pressure_hpa,co2_ppm,door\r\n")
        for i in range(1440):
            t = start + timedelta(minutes=i)
            temp = 4 + 3 * math.sin(i / 229) + random.gauss(0, 0.2)
            hum = 70 + 10 * math.sin(i / 300) + random.gauss(0, 1)
            door = "OPEN" if (i // 97) % 5 == 0 else "CLOSED"
            co2 = "" if i % 211 == 0 else f"{420 + random.randint(0, 80)}"  # the sensor skips a reading now and then
            stamp = t.strftime('%Y-%m-%dT%H:%M:%SZ')
            if serial == "0107" and i == 1000:
                stamp = "2024-03-01T25:40:00Z"  # a gateway clock glitch: validate rejects this row
            f.write(f"{stamp},{site},{temp:.2f},{hum:.1f},{1013 + random.gauss(0, 2):.1f},{co2},{door}\r\n")

# Long CSV from a PLC: semicolons, decimal commas, local time in Europe/Oslo (across the DST change).
with open(f"{root}/plc/line-3_2024-03-31.csv", "w") as f:
    f.write("Zeit;Tag;Wert\n")
    start = datetime(2024, 3, 30, 22, 0)
    for i in range(0, 8 * 60, 5):
        local = start + timedelta(minutes=i)
        if local.date().isoformat() == "2024-03-31" and local.hour == 2:
            continue  # 02:00-03:00 does not exist in Oslo that night; a real PLC has no such rows
        for tag, base in (("M1.Speed", 1450.0), ("M1.Current", 12.5), ("Oven.Temp", 180.0)):
            value = base * (1 + random.gauss(0, 0.01))
            f.write(f"{local.strftime('%d.%m.%Y %H:%M:%S')};{tag};{value:.2f}".replace(f"{value:.2f}", f"{value:.2f}".replace(".", ",")) + "\n")

# Nested JSONL from wearables relayed by phones (for the ox API).
with open(f"{root}/wearables/wrist-2024-03-01.jsonl", "w") as f:
    start = 1709251200000
    for i in range(600):
        for serial, phone in (("W-17", "phone-3"), ("W-21", "phone-8")):
            row = {"t": start + i * 10000 + random.randint(0, 999),
                   "device": {"serial": serial, "model": "wrist/v2", "fw": "2.1.4"},
                   "relay": {"id": phone, "os": "Android 14", "kind": "phone", "app": "4.2.0"},
                   "payload": {"hr": random.randint(58, 110), "spo2": round(random.uniform(94, 99.9), 1), "steps": random.randint(0, 25)}}
            if i % 150 == 7 and serial == "W-21":
                row["payload"]["hr"] = None  # a dropout: no value, not an error
            f.write(json.dumps(row, separators=(",", ":")) + "\n")
