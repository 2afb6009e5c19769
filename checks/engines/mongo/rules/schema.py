"""Document shape: validators, bounded arrays, and names of collections and fields."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.engines.mongo.audit import Context, Violation, check

CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@check("schema-validator")
def schema_validator(ctx: Context) -> Iterator[Violation]:
    """Every collection has a ``$jsonSchema`` validator that is strict and rejects invalid writes."""
    for view in ctx.views:
        validator = view.coll.validator
        if validator is None:
            yield Violation(f"collection {view.name!r} has no $jsonSchema validator", view.collection_where())
            continue
        if not validator.json_schema:
            yield Violation(f"the $jsonSchema of {view.name!r} is empty", view.where("validator", "$jsonSchema"))
        if validator.validation_level not in (None, "strict"):
            yield Violation(
                f"validationLevel of {view.name!r} is {validator.validation_level!r}; use 'strict' so every "
                "insert and update is validated",
                view.where("validator", "validationLevel"),
            )
        if validator.validation_action not in (None, "error"):
            yield Violation(
                f"validationAction of {view.name!r} is {validator.validation_action!r}; use 'error' so invalid "
                "documents are rejected, not only logged",
                view.where("validator", "validationAction"),
            )


@check("bounded-arrays")
def bounded_arrays(ctx: Context) -> Iterator[Violation]:
    """Every array field declares ``maxItems``, in ``arrays`` or in the ``$jsonSchema``."""
    for view in ctx.views:
        for info in view.fields.iter_arrays():
            if info.max_items is None:
                yield Violation(
                    f"array {info.path!r} of {view.name!r} has no maxItems: an array that grows without bound "
                    "makes documents grow toward the 16 MiB limit and its multikey index entries with it",
                    view.where(*info.tokens[len(view.base) :], logical=f"{view.name}.arrays.{info.path}"),
                )


@check("naming", manifest_wide=True)
def naming(ctx: Context) -> Iterator[Violation]:
    """Collection names share one convention (lowerCamelCase or snake_case); field names have no ``.`` or ``$``."""
    camel = [v for v in ctx.views if "_" not in v.name and CAMEL.match(v.name) and not v.name.islower()]
    snake = [v for v in ctx.views if "_" in v.name and SNAKE.match(v.name)]
    minority = snake if len(camel) > len(snake) else camel
    style = "snake_case" if len(camel) > len(snake) else "lowerCamelCase"
    other = "lowerCamelCase" if style == "snake_case" else "snake_case"
    for view in ctx.views:
        if not (CAMEL.match(view.name) or SNAKE.match(view.name)):
            yield Violation(
                f"collection name {view.name!r} is neither lowerCamelCase nor snake_case",
                view.where("name", logical=view.name),
            )
        elif camel and snake and view in minority:
            yield Violation(
                f"collection name {view.name!r} is {style} but the others are {other}; use one convention",
                view.where("name", logical=view.name),
            )
    for view in ctx.views:
        for prop in view.fields.properties:
            if "." in prop.name or prop.name.startswith("$") or not prop.name:
                yield Violation(
                    f"field name {prop.name!r} of {view.name!r} contains '.' or starts with '$'; queries and "
                    "updates read such names as paths or operators",
                    view.where(*prop.tokens[len(view.base) :], logical=f"{view.name}.fields.{prop.path}"),
                )
        for index in view.coll.indexes:
            for path in index.fields:
                if any(part.startswith("$") or not part for part in path.split(".")):
                    yield Violation(
                        f"index {index.name!r} names field path {path!r} with an empty or '$' segment",
                        view.index_where(index.name, "key"),
                    )
