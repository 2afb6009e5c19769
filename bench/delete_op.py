"""The "new" side of the breaking-change benchmark: a document with one DELETE operation removed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from checks.sources import Document


def remove_first_delete(data: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """A copy of ``data`` without the first ``delete`` operation under ``paths``, and that path; None if none."""
    paths = data.get("paths")
    if not isinstance(paths, dict):
        return None
    for path, item in paths.items():
        if isinstance(item, dict) and isinstance(item.get("delete"), dict):
            changed_item = {k: v for k, v in item.items() if k != "delete"}
            return {**data, "paths": {**paths, path: changed_item}}, str(path)
    return None


def without_one_delete(spec: Path, folder: Path) -> Path | None:
    """Write ``spec`` minus its first DELETE operation into ``folder`` (same name and format); None if it has none."""
    removed = remove_first_delete(Document.load(spec).data)
    if removed is None:
        return None
    data, _ = removed
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / spec.name
    if spec.suffix.lower() == ".json":
        target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        text = yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=1000)
        target.write_text(text, encoding="utf-8")
    return target
