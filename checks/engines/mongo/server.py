"""The pymongo edge of live mode: read a :class:`~checks.engines.mongo.live.Snapshot` from a running server.

For each collection of the manifest it runs ``listCollections`` (validator options), ``listIndexes``,
``$indexStats`` and, for every declared shape, ``explain`` at ``executionStats`` verbosity with the
manifest's example values. Writes (updates, deletes, ``findOneAnd…``) are explained as the ``find``
that selects their documents, which is the part an index serves; ``$out``/``$merge`` are left off a
pipeline before explaining it (explain cannot execute them). Nothing is written to the database.
"""

from __future__ import annotations

from typing import Any

import pymongo
from pymongo import uri_parser
from pymongo.database import Database
from pymongo.errors import ConfigurationError, InvalidURI, OperationFailure, PyMongoError

from checks.engines.mongo.live import CollectionState, Snapshot
from checks.engines.mongo.manifest import Collection, Manifest, Query
from checks.errors import InputError, UsageError

TIMEOUT_MS = 2000
SINGLE = {
    "findOne",
    "updateOne",
    "replaceOne",
    "deleteOne",
    "findOneAndUpdate",
    "findOneAndReplace",
    "findOneAndDelete",
}


def connect(uri: str, database: str | None) -> Database[Any]:
    """The database to audit; a bad URI is a usage error, an unreachable server an input error (quickly)."""
    try:
        parsed = uri_parser.parse_uri(uri)
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        raise UsageError(f"--uri: not a MongoDB connection string: {exc}") from None
    hosts = ", ".join(f"{h}:{p}" for h, p in parsed["nodelist"]) or "the SRV record"
    name = database or parsed.get("database")
    if not name:
        raise UsageError("give --database, or a database in the --uri path (mongodb://host/feedchat)")
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=TIMEOUT_MS, connectTimeoutMS=TIMEOUT_MS, appname="handbook-check-mongo"
    )
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        client.close()
        first = str(exc).splitlines()[0].split(", Timeout:")[0].split(" (configured timeouts")[0]
        raise InputError(f"cannot reach MongoDB at {hosts}: {first}") from None
    return client[name]


def explain_command(coll: str, query: Query) -> dict[str, Any]:
    """The ``find``/``count`` command whose plan is the plan of ``query``."""
    if query.op == "count":
        body: dict[str, Any] = {"count": coll, "query": query.filter}
    else:
        body = {"find": coll, "filter": query.filter}
        if query.sort:
            body["sort"] = dict(query.sort)
        if query.op in SINGLE:
            body["limit"] = 1
        elif query.limit:
            body["limit"] = query.limit
        if query.projection and query.op in ("find", "findOne"):
            body["projection"] = query.projection
    if query.collation is not None:
        body["collation"] = query.collation.model_dump(by_alias=True, exclude_none=True)
    return body


def _explains(db: Database[Any], coll: Collection) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, query in coll.queries.items():
        if query.op == "distinct":
            continue
        out[f"queries.{name}"] = db.command(
            {"explain": explain_command(coll.name, query), "verbosity": "executionStats"}
        )
    for name, pipeline in coll.pipelines.items():
        stages = [s for s in pipeline.stages if not ({"$out", "$merge"} & set(s))]
        body: dict[str, Any] = {"aggregate": coll.name, "pipeline": stages, "cursor": {}}
        if pipeline.allow_disk_use:
            body["allowDiskUse"] = True
        out[f"pipelines.{name}"] = db.command({"explain": body, "verbosity": "executionStats"})
    return out


def read_snapshot(db: Database[Any], manifest: Manifest) -> Snapshot:
    """What the server reports about the manifest's collections (absent ones are left out)."""
    try:
        listed = {c["name"]: c for c in db.list_collections()}
        states: dict[str, CollectionState] = {}
        for coll in manifest.collections:
            if coll.name not in listed:
                continue
            states[coll.name] = CollectionState(
                options=dict(listed[coll.name].get("options") or {}),
                indexes=list(db[coll.name].list_indexes()),
                index_stats=list(db[coll.name].aggregate([{"$indexStats": {}}])),
                explains=_explains(db, coll),
            )
    except OperationFailure as exc:
        message = (exc.details or {}).get("errmsg") or str(exc)
        raise InputError(f"MongoDB refused a read of database {db.name!r}: {message}") from None
    except PyMongoError as exc:
        raise InputError(f"MongoDB error while reading {db.name!r}: {str(exc).splitlines()[0]}") from None
    return Snapshot(states)
