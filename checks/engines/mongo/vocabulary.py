"""The MongoDB operators and aggregation stages the audit knows, by what they do to a query plan."""

from __future__ import annotations

EQUALITY = frozenset({"$eq", "$in", "$all"})
"""Predicates that pin a field to one value (or a few): they form an index's equality prefix."""

RANGE = frozenset({"$gt", "$gte", "$lt", "$lte"})
"""Predicates that bound a field to an interval."""

NEGATION = frozenset({"$ne", "$nin", "$not"})
"""Predicates an index can answer only by scanning almost everything: not selective."""

GEO = frozenset({"$near", "$nearSphere", "$geoWithin", "$geoIntersects"})
"""Geospatial predicates, served by a ``2dsphere`` index."""

FIELD_OPERATORS = frozenset(
    EQUALITY
    | RANGE
    | NEGATION
    | GEO
    | {
        "$exists",
        "$type",
        "$regex",
        "$options",
        "$elemMatch",
        "$size",
        "$mod",
        "$maxDistance",
        "$minDistance",
        "$geometry",
        "$box",
        "$center",
        "$centerSphere",
        "$polygon",
        "$bitsAllSet",
        "$bitsAnySet",
        "$bitsAllClear",
        "$bitsAnyClear",
    }
)
"""Operators allowed inside a field's condition, ``{field: {$op: …}}``."""

TOP_OPERATORS = frozenset({"$and", "$or", "$nor", "$expr", "$where", "$text", "$comment", "$jsonSchema"})
"""Operators allowed as keys of a query filter itself."""

SERVER_JS = frozenset({"$where", "$function", "$accumulator"})
"""Operators that run JavaScript on the server."""

LEADING_STAGES = frozenset({"$geoNear", "$search", "$searchMeta", "$vectorSearch"})
"""Stages that must come first and do their own index-backed filtering."""

GROUPING_STAGES = frozenset({"$group", "$bucket", "$bucketAuto", "$sortByCount", "$count", "$facet"})
"""Stages that fold many documents into few."""

FAN_OUT_STAGES = frozenset({"$lookup", "$graphLookup", "$unwind", "$unionWith", "$facet"})
"""Stages that multiply the work done per document."""

WRITE_STAGES = frozenset({"$out", "$merge"})
"""Stages that write the pipeline's output to a collection."""

STAGES = frozenset(
    LEADING_STAGES
    | GROUPING_STAGES
    | FAN_OUT_STAGES
    | WRITE_STAGES
    | {
        "$addFields",
        "$changeStream",
        "$changeStreamSplitLargeEvent",
        "$collStats",
        "$currentOp",
        "$densify",
        "$documents",
        "$fill",
        "$indexStats",
        "$limit",
        "$listLocalSessions",
        "$listSampledQueries",
        "$listSearchIndexes",
        "$listSessions",
        "$match",
        "$planCacheStats",
        "$project",
        "$redact",
        "$replaceRoot",
        "$replaceWith",
        "$sample",
        "$set",
        "$setWindowFields",
        "$shardedDataDistribution",
        "$skip",
        "$sort",
        "$unset",
    }
)
"""Every aggregation stage of MongoDB 7.0 (Atlas Search stages included)."""
