"""CSV import benchmark: time and peak memory of ``mailbot import`` at two sizes, against a baseline.

For each size N the bench writes the three files the importer takes (20 products, N/4 customers,
N services, every optional column filled and varied), then runs ``mailbot import`` on a fresh
database, each command in a child process of its own so that its peak memory (``ru_maxrss``, read
with ``os.wait4``) is its own. The child imports mailbot first and notes its memory before the
command, so what the command adds is visible too. Each size imports products, customers and
services, then the services again (every row unchanged: the update path).

The baseline, measured in the same run on the same services file: a child that reads the file with
the standard library's ``csv.DictReader`` and does nothing else.

Usage::

    python bench/csv_import.py [--rows 100000] [--small 20000] [--database-url URL]

With a PostgreSQL ``--database-url`` each size works in a schema of its own, dropped at the end.
The last line is ``csv import: N rows X s, baseline Y s, ratio Z, peak P MB (M rows: Q MB)``.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from mailbot.db.engine import upgrade
from mailbot.testing.databases import scratch_database

PRODUCTS = 20
KINDS = ("products", "customers", "services")


def write_csv(path: Path, rows: Iterator[dict[str, object]]) -> None:
    """``rows`` as a CSV file with a header line, as a spreadsheet would save them."""
    with path.open("w", encoding="utf-8", newline="") as f:
        first = next(rows)
        out = csv.DictWriter(f, fieldnames=list(first))
        out.writeheader()
        out.writerow(first)
        out.writerows(rows)


def products() -> Iterator[dict[str, object]]:
    for i in range(PRODUCTS):
        monthly = i % 5 == 4
        yield {
            "code": f"P{i:02d}",
            "name": f"Portale {i}",
            "price": f"{12 + i},50" if monthly else f"{100 + i},00",
            "cadence": "monthly" if monthly else "annual",
            "max_years": 10,
            "promo": "si" if i % 7 == 3 else "no",
            "bank_transfer_fee": "3,00",
            "storage_quota_mb": 512 * (1 + i % 4),
        }


def customers(count: int) -> Iterator[dict[str, object]]:
    codes = {"private": "0000000", "company": "M5UXCR1", "pa": "UF1234"}
    for i in range(count):
        kind = ("private", "company", "pa")[i % 3]
        yield {
            "external_id": f"C{i:07d}",
            "kind": kind,
            "name": f"Cliente {i}",
            "email": f"cliente{i}@example.it",
            "language": "en" if i % 4 else "it",
            "vat_number": "00743110157" if kind == "company" else "",
            "recipient_code": codes[kind],
        }


def services(count: int, customers: int) -> Iterator[dict[str, object]]:
    first = date(2026, 1, 1)
    for i in range(count):
        method = ("card", "paypal", "bank_transfer", "postal_slip", "none")[i % 5]
        expires = first + timedelta(days=i % 730)
        yield {
            "external_id": f"S{i:08d}",
            "customer_external_id": f"C{i % customers:07d}",
            "product_code": f"P{i % PRODUCTS:02d}",
            "label": f"Impianto {i}",
            "username": f"utente{i}",
            "expires_on": expires.isoformat() if i % 2 else expires.strftime("%d/%m/%Y"),
            "autorenew": "si" if method == "card" else "no",
            "payment_method": method,
            "card_expiry": "08/2028" if method == "card" else "",
            "storage_quota_mb": "" if i % 3 else 2048,
            "storage_used_mb": i % 1000,
            "started_on": (expires - timedelta(days=365)).isoformat(),
            "status": ("active", "active", "suspended")[i % 3],
        }


def child(argv: list[str]) -> int:
    """In the child process: mailbot loaded, then one ``mailbot import``, timed; JSON on the last line."""
    from mailbot.cli import build_parser, main

    for module in ("mailbot.app", "mailbot.importing"):  # loaded before the figures: start-up is not import
        importlib.import_module(module)
    build_parser()

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu = time.perf_counter(), time.process_time()
    code = main(argv)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"code": code, "seconds": seconds, "cpu": cpu, "before_kb": before}))
    return 0


def baseline_child(path: str) -> int:
    """In the child process: the least any importer does, every row of the file read by the stdlib."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu = time.perf_counter(), time.process_time()
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = sum(1 for _ in csv.DictReader(f))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"code": 0 if rows else 1, "seconds": seconds, "cpu": cpu, "before_kb": before}))
    return 0


def run_child(args: list[str]) -> dict[str, Any]:
    """Run this script with ``args`` in a child; its JSON figures plus its own peak memory."""
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        proc = subprocess.Popen([sys.executable, __file__, *args], stdout=out_file, stderr=err_file, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (Popen.wait would reap it first)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    lines = out.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"csv import: child {args[:3]} failed ({proc.returncode}):\n{out}{err}")
    figures: dict[str, Any] = json.loads(lines[-1])
    figures["peak_kb"] = usage.ru_maxrss
    figures["output"] = lines[:-1] + err.strip().splitlines()
    return figures


def mb(kb: int) -> float:
    return kb / 1024


def describe(figures: dict[str, Any]) -> str:
    added = mb(figures["peak_kb"] - figures["before_kb"])
    return (
        f"{figures['seconds']:6.2f} s (CPU {figures['cpu']:6.2f} s), "
        f"peak {mb(figures['peak_kb']):4.0f} MB (+{added:.0f} MB over the loaded process)"
    )


def import_file(config: Path, kind: str, path: Path) -> dict[str, Any]:
    figures = run_child(["--child", "--config", str(config), "import", kind, str(path)])
    if figures["code"] != 0:
        shown = "\n".join(figures["output"][:20])
        raise SystemExit(f"csv import: mailbot import {kind} exited {figures['code']}:\n{shown}")
    return figures


def measure(rows: int, folder: Path, database_url: str | None) -> dict[str, Any]:
    """Import the three files of ``rows`` services into a fresh database; the services' figures."""
    people = max(1, rows // 4)
    paths = {kind: folder / f"{kind}_{rows}.csv" for kind in KINDS}
    write_csv(paths["products"], products())
    write_csv(paths["customers"], customers(people))
    write_csv(paths["services"], services(rows, people))
    with scratch_database(database_url, folder, f"bench_csv_{rows}") as url:
        upgrade(url)
        config = folder / f"mailbot_{rows}.toml"
        config.write_text(
            f'[general]\ndata_dir = "{folder}"\n[database]\nurl = "{url}"\n'
            '[links]\nsecret = "bench-secret"\nbase_url = "https://portal.example.it/rinnovo"\n',
            encoding="utf-8",
        )
        done = {kind: import_file(config, kind, paths[kind]) for kind in KINDS}
        again = import_file(config, "services", paths["services"])
    base = run_child(["--baseline", str(paths["services"])])
    ours = done["services"]
    print(f"{rows} services, {people} customers:")
    for name, figures in (
        (f"import {rows} services", ours),
        ("the same again (all unchanged)", again),
        (f"import {people} customers", done["customers"]),
        ("baseline: csv.DictReader of the services", base),
    ):
        print(f"  {name:42s} {describe(figures)}")
    print(f"  ({' / '.join(f['output'][-1].split(': ', 1)[-1] for f in (ours, again))})")
    return {"seconds": ours["seconds"], "peak_kb": ours["peak_kb"], "baseline": base["seconds"]}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[1:])
    if argv[:1] == ["--baseline"]:
        return baseline_child(argv[1])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="services in the large run (default 100000)")
    parser.add_argument("--small", type=int, help="services in the small run (default: rows / 5)")
    parser.add_argument("--database-url", help="database URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args(argv)
    small = args.small or max(1, args.rows // 5)
    with tempfile.TemporaryDirectory(prefix="mailbot-bench-csv-") as tmp:
        low = measure(small, Path(tmp), args.database_url)
        high = measure(args.rows, Path(tmp), args.database_url)
    print(
        f"csv import: {args.rows} rows {high['seconds']:.2f} s, baseline {high['baseline']:.3f} s, "
        f"ratio {high['seconds'] / max(high['baseline'], 1e-9):.1f}, peak {mb(high['peak_kb']):.0f} MB "
        f"({small} rows: {mb(low['peak_kb']):.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
