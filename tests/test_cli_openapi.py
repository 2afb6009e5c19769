"""`handbook check openapi`: findings at the right lines, exit codes, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

OPENAPI = FIXTURES / "openapi"


def expected_markers(path: Path) -> set[tuple[int, str]]:
    """``# expect: RULE…`` markers, as (line, rule) pairs."""
    out = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.search(r"#\s*expect:\s*(.+)$", line)
        if match:
            out |= {(number, rule) for rule in match.group(1).split()}
    return out


def test_planted_violations_are_reported_at_their_lines(cli) -> None:
    result = cli("check", "openapi", OPENAPI / "planted.yaml", "--format", "json")
    assert result.code == 1
    findings = json.loads(result.out)["findings"]
    reported = {(f["location"]["line"], f["ruleId"]) for f in findings}
    assert reported == expected_markers(OPENAPI / "planted.yaml")
    assert all(f["location"]["pointer"].startswith("/") for f in findings)


def test_cyclic_schemas_are_legal(cli) -> None:
    result = cli("check", "openapi", OPENAPI / "cyclic.yaml")
    assert result.code == 0, result.out + result.err
    assert "No findings" in result.out


def test_refs_to_other_files_resolve_and_findings_point_into_them(cli) -> None:
    result = cli("check", "openapi", OPENAPI / "multi" / "openapi.yaml", "--format", "json")
    findings = json.loads(result.out)["findings"]
    assert result.code == 1
    assert [(Path(f["location"]["file"]).name, f["location"]["line"], f["ruleId"]) for f in findings] == [
        ("posts.yaml", 10, "API-105")
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.yaml", "OpenAPI document not found"),
        ("binary.yaml", "is binary"),
        ("malformed.yaml", r"malformed.yaml:\d+: invalid YAML"),
        ("not-openapi.yaml", "not an OpenAPI document"),
        ("swagger2.yaml", "Swagger/OpenAPI 2.0 is not supported"),
        ("unresolved.yaml", r"unresolved.yaml:14: \$ref '#/components/schemas/Post' does not resolve"),
        ("multi", "is a directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, name: str, message: str) -> None:
    result = cli("check", "openapi", OPENAPI / name)
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handbook: error: "), result.err
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in result.err


def test_fail_on_levels(cli) -> None:
    planted = OPENAPI / "planted.yaml"
    assert cli("check", "openapi", planted, "--fail-on", "never").code == 0
    assert cli("check", "openapi", planted, "--fail-on", "warning").code == 1
    assert cli("check", "openapi", planted, "--fail-on", "error").code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "openapi", OPENAPI / "cyclic.yaml", "--format", "xml"), "handbook check openapi: error: argument"),
        (("check", "openapi", OPENAPI / "cyclic.yaml", "--no-such-option"), "unrecognized arguments: --no-such"),
        (("check", "openapi", OPENAPI / "cyclic.yaml", "-o", OPENAPI), "is a directory"),
        (("check", "no-such-engine"), "handbook check: error: argument COMMAND: invalid choice: 'no-such-engine'"),
        (("check", "--format", "json", "openapi"), "handbook check: error: unrecognized arguments: --format"),
        (("check", "contract", "--max-examples", "0"), "0 is not in the range 1<=x<=10000"),
        (("check", "contract", "--max-time", "0.5"), "0.5 is not in the range x>=1"),
        (("rules", "--level", "sometimes"), "handbook rules: error: argument --level: invalid choice"),
        (("rules", "API-999"), "handbook: error: no rule 'API-999'"),
    ],
)
def test_usage_errors_exit_2(cli, args: tuple[object, ...], message: str) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.out == ""
    errors = [line for line in result.err.splitlines() if "error: " in line]
    assert len(errors) == 1 and message in errors[0], result.err
    assert "Traceback" not in result.err


def test_options_may_come_between_specs_and_after_a_double_dash(cli) -> None:
    cyclic, multi = OPENAPI / "cyclic.yaml", OPENAPI / "multi" / "openapi.yaml"
    result = cli("check", "openapi", cyclic, "--format", "json", multi)
    assert result.code == 1
    assert json.loads(result.out)["inputs"] == [str(cyclic), str(multi)]
    result = cli("check", "openapi", "--format", "json", "--", "-missing.yaml")
    assert result.code == 2 and "-missing.yaml: OpenAPI document not found" in result.err


def test_level_is_case_insensitive(cli) -> None:
    assert cli("rules", "--level", "MuSt").out == cli("rules", "--level", "must").out != ""


def test_color_is_plain_unless_asked_for(cli) -> None:
    planted = OPENAPI / "planted.yaml"
    assert "\x1b[" not in cli("check", "openapi", planted).out
    assert "\x1b[31m\x1b[1merror  \x1b[0m" in cli("check", "openapi", planted, "--color").out
    assert "\x1b[" not in cli("check", "openapi", planted, "--color", "--no-color").out


def test_output_file_is_written_atomically_and_never_over_an_input(cli, tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    result = cli("check", "openapi", OPENAPI / "planted.yaml", "--format", "sarif", "--output", target)
    assert result.code == 1 and result.out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"
    assert [p.name for p in tmp_path.iterdir()] == ["report.sarif"]

    spec = tmp_path / "spec.yaml"
    spec.write_bytes((OPENAPI / "planted.yaml").read_bytes())
    before = spec.read_bytes()
    result = cli("check", "openapi", spec, "--output", spec)
    assert result.code == 2 and "would overwrite an input file" in result.err
    assert spec.read_bytes() == before


def test_an_output_folder_that_takes_no_files_is_a_usage_error(cli, tmp_path: Path) -> None:
    proc = Path("/proc")  # a folder no one may create files in, not even root
    if not (proc / "self").is_dir():
        pytest.skip("needs Linux /proc")
    result = cli("check", "openapi", OPENAPI / "planted.yaml", "--output", proc / "handbook-report.json")
    assert result.code == 2
    assert result.err.startswith("handbook: error: --output /proc/handbook-report.json: cannot create a file in /proc")
    assert "internal error" not in result.err and "Traceback" not in result.err


def test_a_report_file_replaces_an_older_one_whole(cli, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old report that is longer than nothing" * 1000, encoding="utf-8")
    result = cli("check", "openapi", OPENAPI / "planted.yaml", "--format", "json", "--output", target)
    assert result.code == 1
    assert json.loads(target.read_text(encoding="utf-8"))["engines"] == ["openapi"]
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left beside it


def test_reference_contract_has_zero_findings_in_sarif(cli, sarif_schema) -> None:
    import jsonschema

    contract = ROOT / "reference-service" / "openapi.yaml"
    result = cli("check", "openapi", contract, "--format", "sarif")
    assert result.code == 0, result.out
    log = json.loads(result.out)
    jsonschema.validate(log, sarif_schema)
    assert log["runs"][0]["results"] == []
