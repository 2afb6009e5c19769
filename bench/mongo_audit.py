"""Benchmark of the MongoDB static audit: loading vs auditing, and linear scaling.

Generates manifests of N collections x 20 indexes x 50 query shapes in memory, times parsing,
validating and auditing each, prints the per-shape cost of each step, and checks that the time
grows linearly with the number of collections (250, 500, 1000).

    .venv/bin/python bench/mongo_audit.py [--collections 1000] [--repeat 3] [--no-gc]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from checks.engines.mongo.audit import audit
from checks.engines.mongo.manifest import Manifest
from checks.registry import default_registry
from checks.sources import Document

INDEXES = 20
QUERIES = 50
FIELDS = [f"f{n}" for n in range(12)]


def collection(n: int) -> dict[str, Any]:
    """One collection with 20 indexes and 50 query shapes of varied kinds."""
    props: dict[str, Any] = {f: {"bsonType": "int"} for f in FIELDS}
    props["at"] = {"bsonType": "date"}
    props["name"] = {"bsonType": "string"}
    props["tags"] = {"bsonType": "array", "maxItems": 20, "items": {"bsonType": "string"}}
    indexes: list[dict[str, Any]] = [{"name": "at_ttl", "key": [["at", 1]], "expireAfterSeconds": 3600}]
    for i in range(1, INDEXES):
        a, b = FIELDS[i % len(FIELDS)], FIELDS[(i * 5 + 1) % len(FIELDS)]
        key = [[a, 1], [b, -1]] if a != b else [[a, 1]]
        if i % 4 == 0:
            key.append(["at", -1])
        index: dict[str, Any] = {"name": f"ix{i}", "key": key}
        if i % 7 == 0:
            index["partialFilterExpression"] = {a: {"$gt": 0}}
        if i % 9 == 0:
            index["key"] = [["name", 1]]
            index["collation"] = {"locale": "en", "strength": 2}
        indexes.append(index)
    queries: dict[str, Any] = {}
    for q in range(QUERIES):
        a, b = FIELDS[q % len(FIELDS)], FIELDS[(q * 3 + 2) % len(FIELDS)]
        kind = q % 5
        if kind == 0:
            query: dict[str, Any] = {"filter": {a: q, "at": {"$lt": 5}}, "sort": [["at", -1]], "limit": 20}
        elif kind == 1:
            query = {"filter": {a: {"$in": [1, 2]}, b: {"$gte": 3}}, "sort": [[b, 1]], "limit": 50}
        elif kind == 2:
            query = {"filter": {"name": {"$regex": "^ab"}}, "limit": 10, "projection": {"name": 1}}
        elif kind == 3:
            query = {"op": "updateOne", "filter": {a: 1, b: 2}, "upsertKey": [a, b]}
        else:
            query = {"filter": {"$or": [{a: 1}, {b: {"$ne": 2}}]}, "limit": 5000, "skip": 10}
        queries[f"q{q}"] = query
    return {
        "name": f"coll_{n}",
        "documents": 1_000_000 if n % 2 else 5_000,
        "writeHeavy": n % 3 == 0,
        "expiring": n % 5 == 0,
        "validator": {"$jsonSchema": {"bsonType": "object", "properties": props}},
        "indexes": indexes,
        "queries": queries,
    }


def manifest_data(collections: int) -> dict[str, Any]:
    """A whole manifest as plain data."""
    return {"version": 1, "service": "bench", "collections": [collection(n) for n in range(collections)]}


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs, in seconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(collections: int, repeat: int) -> dict[str, float]:
    """Parse, validate and audit timings for one manifest size."""
    text = json.dumps(manifest_data(collections))
    rules = default_registry().for_engine("mongo")
    parse, doc = best_of(repeat, lambda: Document.from_text(text, name="bench.json"))
    load, manifest = best_of(repeat, lambda: Manifest.from_document(doc))
    run, findings = best_of(repeat, lambda: audit(manifest, rules))
    return {"parse": parse, "load": load, "audit": run, "findings": len(findings), "bytes": len(text)}


def main(argv: list[str] | None = None) -> int:
    """Print the timings; exit 1 when the audit's time grows clearly faster than linearly."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", type=int, default=1000, help="largest manifest (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    parser.add_argument(
        "--no-gc",
        action="store_true",
        help="disable the cyclic garbage collector, to tell algorithmic growth from collector passes over a big heap",
    )
    args = parser.parse_args(argv)
    if args.no_gc:
        gc.disable()
    sizes = [args.collections // 4, args.collections // 2, args.collections]
    collector = "off" if args.no_gc else "on"
    print(
        f"manifest: N collections x {INDEXES} indexes x {QUERIES} query shapes; best of {args.repeat}; gc {collector}"
    )
    print(
        f"{'N':>6} {'shapes':>8} {'MB':>6} {'parse s':>8} {'load s':>8} {'audit s':>8} "
        f"{'parse us/shape':>15} {'load us/shape':>14} {'audit us/shape':>15} {'findings':>9}"
    )
    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        gc.collect()
        r = measure(size, args.repeat)
        results[size] = r
        shapes = size * QUERIES
        print(
            f"{size:>6} {shapes:>8} {r['bytes'] / 1e6:>6.1f} {r['parse']:>8.2f} {r['load']:>8.2f} {r['audit']:>8.2f} "
            f"{r['parse'] / shapes * 1e6:>15.1f} {r['load'] / shapes * 1e6:>14.1f} "
            f"{r['audit'] / shapes * 1e6:>15.1f} {int(r['findings']):>9}"
        )
    small, large = results[sizes[0]], results[sizes[-1]]
    ratio = sizes[-1] / sizes[0]
    linear = True
    for step in ("load", "audit"):
        growth = large[step] / small[step]
        verdict = "linear" if growth <= ratio * 1.5 else "SUPERLINEAR"
        linear = linear and verdict == "linear"
        print(f"{step}: x{growth:.2f} time for x{ratio:.0f} collections ({verdict})")
    return 0 if linear else 1


if __name__ == "__main__":
    sys.exit(main())
