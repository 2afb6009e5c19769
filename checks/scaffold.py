"""``handbook new``: render a template folder into a new service that passes every check."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import jinja2

from checks.errors import UsageError
from checks.registry import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE_SEGMENT = "__package__"


def available() -> list[str]:
    """Names of the templates ``handbook new`` can render."""
    return sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())


def render(template: str, name: str, target: Path, *, title: str | None = None) -> list[Path]:
    """Render ``template`` as service ``name`` into ``target`` (which must not exist or be empty)."""
    if template not in available():
        raise UsageError(f"unknown template {template!r}; available: {', '.join(available())}")
    if not NAME.match(name):
        raise UsageError(f"service name {name!r} must be lowercase words joined by '-', e.g. orders-service")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} already exists and is not empty; nothing was written")
    package = name.replace("-", "_")
    context = {"name": name, "package": package, "title": title or name.replace("-", " ").capitalize() + " API"}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)  # noqa: S701 - not HTML
    source = TEMPLATES / template
    # Render into a temporary folder first, so that a failure never leaves a half-written service.
    with tempfile.TemporaryDirectory(dir=target.parent if target.parent.exists() else None) as tmp:
        staging = Path(tmp) / "service"
        written: list[Path] = []
        for path in sorted(source.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            relative = Path(str(path.relative_to(source)).replace(PACKAGE_SEGMENT, package))
            out = staging / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(env.from_string(path.read_text(encoding="utf-8")).render(context), encoding="utf-8")
            written.append(target / relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.rmdir()
        shutil.move(str(staging), target)
    return written
