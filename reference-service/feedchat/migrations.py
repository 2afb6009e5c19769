"""The index migration step run at start-up: validators and indexes from :mod:`feedchat.schema`, idempotently.

:func:`plan` compares the declared collections with what the database reports (``listCollections``,
``listIndexes``) and returns the steps; :func:`apply` reads the database, plans and runs the steps.
Running it again changes nothing. It never drops or rebuilds an index: an index whose name is declared
with another key or options is a :class:`MigrationError` (change it with a new name, then hide and drop
the old one), and an index the code does not declare is only reported.

The embedded mongomock store does not implement validators (``create`` with options, ``collMod``,
``listCollections``): there the validator steps are skipped and reported as skipped; indexes are created.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import mongomock
from pymongo import IndexModel
from pymongo.database import Database

from feedchat.schema import COLLECTIONS, CollectionSpec, Index

log = logging.getLogger("feedchat")

VALIDATION = {"validationLevel": "strict", "validationAction": "error"}
MONGOMOCK_SKIPS = "mongomock does not implement validators; the validator is not applied to the embedded store"


class MigrationError(RuntimeError):
    """The database holds something the code cannot reconcile without a human (a changed index)."""


@dataclass(frozen=True)
class Step:
    """One thing to do (or that was not done) to one collection."""

    action: str
    """``create-collection``, ``set-validator``, ``create-index``, ``skip-validator`` or ``undeclared-index``."""
    collection: str
    detail: str = ""
    index: Index | None = None


def index_options(index: Index) -> dict[str, Any]:
    """The options of a declared index as ``listIndexes`` reports them (defaults left out)."""
    out: dict[str, Any] = {}
    if index.unique:
        out["unique"] = True
    if index.partial_filter_expression is not None:
        out["partialFilterExpression"] = index.partial_filter_expression
    if index.expire_after_seconds is not None:
        out["expireAfterSeconds"] = index.expire_after_seconds
    return out


REPORTED_OPTIONS = ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds", "collation", "hidden")


def existing_options(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a ``listIndexes`` entry that decide behaviour (``unique: false`` is no option)."""
    return {k: doc[k] for k in REPORTED_OPTIONS if doc.get(k) is not None and doc.get(k) is not False}


def plan(
    specs: Iterable[CollectionSpec],
    collections: Mapping[str, Mapping[str, Any]] | None,
    indexes: Mapping[str, list[Mapping[str, Any]]],
) -> list[Step]:
    """The steps that bring the database to the declared state.

    ``collections`` maps existing collection names to their ``listCollections`` options, or is ``None``
    when the store cannot report them (mongomock); ``indexes`` maps collection names to ``listIndexes``.
    """
    steps: list[Step] = []
    for spec in specs:
        present = indexes.get(spec.name)
        if collections is None:
            steps.append(Step("skip-validator", spec.name, MONGOMOCK_SKIPS))
        elif spec.name not in collections:
            steps.append(Step("create-collection", spec.name, "with its validator"))
            present = []
        elif _validator_of(collections[spec.name]) != {"validator": spec.validator, **VALIDATION}:
            steps.append(Step("set-validator", spec.name, "validator differs from the declared one"))
        by_name = {doc["name"]: doc for doc in present or []}
        for index in spec.indexes:
            found = by_name.get(index.name)
            if found is None:
                steps.append(Step("create-index", spec.name, index.name, index))
                continue
            want_key = list(index.key)
            have_key = [(k, v) for k, v in dict(found["key"]).items()]
            if have_key != want_key or existing_options(found) != index_options(index):
                raise MigrationError(
                    f"{spec.name}: index {index.name!r} exists with key {dict(have_key)} {existing_options(found)}, "
                    f"but the code declares {dict(want_key)} {index_options(index)}; declare the change under a new "
                    "name, then hide and drop the old index"
                )
        declared = {ix.name for ix in spec.indexes} | {"_id_"}
        steps.extend(Step("undeclared-index", spec.name, name) for name in sorted(by_name) if name not in declared)
    return steps


def _validator_of(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "validator": options.get("validator"),
        "validationLevel": options.get("validationLevel", "strict"),
        "validationAction": options.get("validationAction", "error"),
    }


def read_state(db: Database[Any]) -> tuple[dict[str, dict[str, Any]] | None, dict[str, list[dict[str, Any]]]]:
    """What the database has: collection options (``None`` on mongomock) and each collection's indexes."""
    embedded = isinstance(db, mongomock.Database)
    names = db.list_collection_names()
    collections = None if embedded else {c["name"]: c.get("options", {}) for c in db.list_collections()}
    indexes = {name: list(db[name].list_indexes()) for name in names if name in COLLECTIONS}
    return collections, indexes


def apply(db: Database[Any], specs: Iterable[CollectionSpec] | None = None) -> list[Step]:
    """Bring ``db`` to the declared validators and indexes; returns the steps taken (and skipped)."""
    specs = list(COLLECTIONS.values() if specs is None else specs)
    collections, indexes = read_state(db)
    steps = plan(specs, collections, indexes)
    by_name = {spec.name: spec for spec in specs}
    pending: dict[str, list[IndexModel]] = {}
    for step in steps:
        spec = by_name[step.collection]
        if step.action == "create-collection":
            db.create_collection(spec.name, validator=spec.validator, **VALIDATION)
        elif step.action == "set-validator":
            db.command({"collMod": spec.name, "validator": spec.validator, **VALIDATION})
        elif step.action == "create-index" and step.index is not None:
            pending.setdefault(spec.name, []).append(
                IndexModel(list(step.index.key), name=step.index.name, **index_options(step.index))
            )
        elif step.action == "undeclared-index":
            log.warning("%s: index %r is not declared in the code; hide it, then drop it", spec.name, step.detail)
    for name, models in pending.items():
        db[name].create_indexes(models)
    made = [s for s in steps if s.action != "skip-validator"]
    if made:
        log.info("migrations: %s", ", ".join(f"{s.action} {s.collection} {s.detail}".strip() for s in made))
    return steps
