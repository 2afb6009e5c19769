"""``[tool.handbook]`` configuration of the repository under review, with waivers.

Waivers are named tuples and :class:`Config` a slotted class rather than dataclasses, which on
Python 3.11 cost 0.2–0.45 ms each to create (and whose module imports :mod:`inspect`): every
``handbook`` command reads the configuration, and start-up is most of a small lint.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
import tomllib
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

from checks.errors import ConfigError
from checks.findings import Finding, Location, Report
from checks.validate import Invalid, choice, iso_date, items, mapping, text

DEFAULT_DOCS_URL = "https://backend-handbook.github.io/handbook/"
FailOn = Literal["error", "warning", "never"]


WAIVED_RULE = re.compile(r"^(API|SEC|DATA|REL|OBS|QUAL)-\d{3}$")


class Waiver(NamedTuple):
    """A decision to accept findings of one ``rule`` in some files until a date.

    ``path`` is a glob of the files, ``expires`` the date; ``reason`` and ``owner`` say why and who decided.
    """

    rule: str
    path: str
    reason: str
    owner: str
    expires: date

    @classmethod
    def parse(cls, data: Any, loc: tuple[str | int, ...]) -> Waiver:
        """Validate one ``[[tool.handbook.waivers]]`` entry."""
        d = mapping(data, loc, required=("rule", "path", "reason", "owner", "expires"))
        return cls(
            rule=text(d["rule"], (*loc, "rule"), pattern=WAIVED_RULE),
            path=text(d["path"], (*loc, "path"), min_length=1),
            reason=text(d["reason"], (*loc, "reason"), min_length=10),
            owner=text(d["owner"], (*loc, "owner"), min_length=2),
            expires=iso_date(d["expires"], (*loc, "expires")),
        )

    def covers(self, finding: Finding, root: Path) -> bool:
        """True when this waiver matches the finding's rule and file (or logical name).

        A file read at a git ref (``origin/main:api/openapi.yaml``, as ``check breaking --base`` names
        the old contract) also matches by its path in the repository (``api/openapi.yaml``).
        """
        if finding.rule_id != self.rule:
            return False
        loc = finding.location
        if not loc.file:
            return fnmatch.fnmatch(loc.logical or "", self.path)
        where = loc.file
        with contextlib.suppress(ValueError):
            where = Path(loc.file).resolve().relative_to(root.resolve()).as_posix()
        _ref, at_ref, in_repository = loc.file.partition(":")
        return fnmatch.fnmatch(where, self.path) or bool(at_ref and fnmatch.fnmatch(in_repository, self.path))


_TOP_KEYS = {"docs-url": "docs_url", "docs_url": "docs_url", "fail-on": "fail_on", "fail_on": "fail_on"}
"""The keys of ``[tool.handbook]`` itself (besides ``waivers``), by the field each sets."""


class _Top(NamedTuple):
    """The keys of ``[tool.handbook]`` itself; every other key is an engine's section."""

    docs_url: str
    fail_on: FailOn
    waivers: list[Waiver]
    sections: dict[str, Any]

    @classmethod
    def parse(cls, table: Any) -> _Top:
        d = mapping(table, (), extra=True)
        known = {_TOP_KEYS.get(k, k): v for k, v in d.items() if k in _TOP_KEYS or k == "waivers"}
        return cls(
            docs_url=text(known.get("docs_url", DEFAULT_DOCS_URL), ("docs-url",)),
            fail_on=cast(FailOn, choice(known.get("fail_on", "error"), ("fail-on",), ("error", "warning", "never"))),
            waivers=items(known.get("waivers"), ("waivers",), Waiver.parse),
            sections={k: v for k, v in d.items() if k not in _TOP_KEYS and k != "waivers"},
        )


class EngineSections(Mapping[str, Any]):
    """The ``[tool.handbook.<engine>]`` sections, each validated by its engine's model when first read.

    Validating a section needs its engine's module, so a command imports (and checks) only the
    sections it uses: ``handbook check openapi`` does not load the MongoDB engine to read its limits.
    ``handbook check all`` reads every section. A section that does not validate raises
    :class:`~checks.errors.ConfigError` at its line.
    """

    def __init__(self, raw: dict[str, Any], *, file: str | None = None, text: str = "") -> None:
        self._raw = raw
        self._file = file
        self._text = text
        self._valid: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._valid:
            from checks.engines import get_engine

            try:
                self._valid[name] = get_engine(name).parse_settings(self._raw[name])
            except Invalid as exc:
                where = exc.where()
                raise ConfigError(
                    f"[tool.handbook.{name}] {where}: {exc.message}"
                    if where
                    else f"[tool.handbook.{name}] {exc.message}",
                    file=self._file,
                    line=_line_of(self._text, f"[tool.handbook.{name}]"),
                ) from None
        return self._valid[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw


class Config:
    """Configuration of one repository, as read from its ``pyproject.toml``."""

    __slots__ = ("docs_url", "engines", "fail_on", "file", "root", "waiver_lines", "waivers")

    def __init__(
        self,
        root: Path,
        file: str | None = None,
        docs_url: str = DEFAULT_DOCS_URL,
        fail_on: FailOn = "error",
        waivers: list[Waiver] | None = None,
        engines: Mapping[str, Any] | None = None,
        waiver_lines: list[int] | None = None,
    ) -> None:
        """Lists and the engine sections not given are new empty ones."""
        self.root = root
        self.file = file
        self.docs_url = docs_url
        self.fail_on: FailOn = fail_on
        self.waivers: list[Waiver] = [] if waivers is None else waivers
        self.engines: Mapping[str, Any] = {} if engines is None else engines
        self.waiver_lines: list[int] = [] if waiver_lines is None else waiver_lines

    def path(self, relative: str) -> Path:
        """Resolve a configured path against the repository root."""
        return (self.root / relative).resolve() if not Path(relative).is_absolute() else Path(relative)

    def input(self, relative: str) -> Path:
        """A configured input as reports name it: relative to the working folder when inside it."""
        path = self.path(relative)
        try:
            return path.relative_to(Path.cwd())
        except ValueError:
            return path

    def rule_url(self, rule_id: str) -> str:
        """Absolute URL of a rule's page."""
        return f"{self.docs_url.rstrip('/')}/rules/{rule_id}/"


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.handbook]`` table, from ``start`` upwards."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                return candidate
            if "handbook" in data.get("tool", {}):
                return candidate
    return None


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Read ``[tool.handbook]``; without one, defaults rooted at ``start`` (or the cwd)."""
    from checks.engines import engine_names

    if path is None:
        path = find_pyproject((start or Path.cwd()).resolve())
        if path is None:
            return Config(root=(start or Path.cwd()).resolve())
    shown = str(path)
    if not path.is_file():
        raise ConfigError("configuration file not found", file=shown)
    try:
        source = path.read_text(encoding="utf-8")
        data = tomllib.loads(source)
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", file=shown) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=shown) from None
    table = data.get("tool", {}).get("handbook", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.handbook] must be a table", file=shown)
    try:
        top = _Top.parse(table)
    except Invalid as exc:
        raise ConfigError(
            f"[tool.handbook] {exc.where()}: {exc.message}", file=shown, line=_line_of(source, "[tool.handbook]")
        ) from None
    engines = engine_names()
    for name in top.sections:
        if name not in engines:
            known = ", ".join(["docs-url", "fail-on", "waivers", *engines])
            raise ConfigError(
                f"[tool.handbook] unknown key {name!r} (known: {known})",
                file=shown,
                line=_line_of(source, name),
            )
    settings = EngineSections(top.sections, file=shown, text=source)
    return Config(
        root=path.parent.resolve(),
        file=shown,
        docs_url=top.docs_url,
        fail_on=top.fail_on,
        waivers=top.waivers,
        engines=settings,
        waiver_lines=_waiver_lines(source),
    )


def apply_waivers(report: Report, config: Config, *, today: date | None = None) -> Report:
    """Drop waived findings; add a QUAL-101 finding for each expired waiver."""
    today = today or date.today()
    active = [w for w in config.waivers if w.expires >= today]
    kept: list[Finding] = []
    for finding in report.findings:
        if any(w.covers(finding, config.root) for w in active):
            report.waived += 1
        else:
            kept.append(finding)
    report.findings = kept + waiver_findings(config, today=today)
    if config.waivers and "QUAL-101" not in report.rules_checked:
        report.rules_checked.append("QUAL-101")
    return report


def waiver_findings(config: Config, *, today: date | None = None) -> list[Finding]:
    """Findings for waivers whose expiry date has passed."""
    from checks.registry import default_registry

    today = today or date.today()
    rule = default_registry().get("QUAL-101")
    out: list[Finding] = []
    for index, waiver in enumerate(config.waivers):
        if waiver.expires >= today:
            continue
        line = config.waiver_lines[index] if index < len(config.waiver_lines) else None
        out.append(
            Finding(
                rule_id=rule.id,
                severity=rule.severity,
                message=(
                    f"waiver of {waiver.rule} for {waiver.path!r} (owner {waiver.owner}) expired on "
                    f"{waiver.expires.isoformat()}: fix the findings or renew the waiver with a new decision"
                ),
                location=Location(file=config.file, line=line, logical=f"tool.handbook.waivers[{index}]"),
                engine="waivers",
            )
        )
    return out


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(needle) or stripped.split("=", 1)[0].strip().strip('"') == needle:
            return number
    return None


def _waiver_lines(text: str) -> list[int]:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == "[[tool.handbook.waivers]]"]
    return lines
