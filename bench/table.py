"""Print benchmark rows as a plain-text table with peer / handbook ratios."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Row

BASELINE = "handbook"
HEADERS = ("document", "tool", "median wall", "median CPU", "peak RSS", "wall ×hb", "CPU ×hb", "RSS ×hb", "note")


def render(title: str, rows: list[Row]) -> str:
    """A titled table: one line per tool and document; ratios are peer / handbook."""
    baseline = {r.document: r.timing for r in rows if r.tool == BASELINE and r.timing and r.timing.error is None}
    lines = []
    for row in rows:
        timing = row.timing
        error = row.error or (timing.error if timing else None)
        wall = timing.wall_s if timing else None
        cpu = timing.cpu_s if timing else None
        rss = timing.peak_rss_kib if timing else None
        base = baseline.get(row.document)
        lines.append(
            (
                row.document,
                row.tool,
                f"{wall:.2f} s" if wall is not None else "-",
                f"{cpu:.2f} s" if cpu is not None else "-",
                f"{rss / 1024:.0f} MiB" if rss is not None else "-",
                _ratio(wall, base.wall_s if base else None),
                _ratio(cpu, base.cpu_s if base else None),
                _ratio(rss, base.peak_rss_kib if base else None),
                _note(row, error),
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(HEADERS)]
    out = [f"## {title}", ""]
    out.append("  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)).rstrip())
    out.append("  ".join("-" * w for w in widths))
    out.extend("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)
    return "\n".join(out) + "\n"


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "-"
    return f"{value / base:.1f}×"


def _note(row: Row, error: str | None) -> str:
    """Empty for a success; for a failure, how long and how big the failing run got, and why it failed."""
    if error is None or error.startswith("skipped"):
        return error or ""
    failed = row.timing.runs[-1] if row.timing and row.timing.runs else None
    if failed is None or not failed.wall_s:  # never started
        return f"FAILED: {error}"
    size = f", {failed.peak_rss_kib / 1024:.0f} MiB" if failed.peak_rss_kib is not None else ""
    return f"FAILED after {failed.wall_s:.2f} s{size}: {error}"
