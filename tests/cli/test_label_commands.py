"""`traceledger label ...` through the real Typer app (in process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.trace_api.labels.decode import decode_pdf_pages, decode_png, decode_svg
from traceledger_cli.main import app

runner = CliRunner()
KEY_HEX = "ab" * 32
URI = "https://id.gs1.org/01/09506000134352/10/ABC123?17=271231"


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_make(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"label.{fmt}"
    result = runner.invoke(app, ["label", "make", "--uri", URI, "--out", str(out), "--product-name", "Rice"])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    decoded = {
        "svg": lambda: decode_svg(data.decode()),
        "png": lambda: decode_png(data),
        "pdf": lambda: decode_pdf_pages(data)[0],
    }[fmt]()
    assert decoded == [URI]


def test_batch_pdf_and_check(tmp_path: Path) -> None:
    out = tmp_path / "sheet.pdf"
    key_file = tmp_path / "key.hex"
    key_file.write_text(KEY_HEX)
    result = runner.invoke(
        app,
        ["label", "batch", "--gtin", "9506000134352", "--lot", "L1", "--serials", "1-25",
         "--expiry", "2027-03-31", "--out", str(out), "--key-file", str(key_file)],
    )
    assert result.exit_code == 0, result.output
    assert KEY_HEX not in result.output
    pages = decode_pdf_pages(out.read_bytes(), dpi=150)
    uris = sorted(uri for page in pages for uri in page)
    assert len(uris) == 25 and all("&auth=" in uri for uri in uris)
    ok = runner.invoke(app, ["label", "check", "--uri", uris[0], "--key-file", str(key_file)])
    assert ok.exit_code == 0 and "authenticator OK" in ok.output
    forged = uris[0].replace("/21/1?", "/21/99999?") if "/21/1?" in uris[0] else uris[0][:-1] + "Z"
    bad = runner.invoke(app, ["label", "check", "--uri", forged, "--key-file", str(key_file)])
    assert bad.exit_code == 1


@pytest.mark.parametrize(
    "args",
    [
        ["label", "make", "--uri", "https://id.gs1.org/01/09506000134353", "--out", "x.svg"],
        ["label", "make", "--uri", URI, "--out", "x.gif"],
        ["label", "batch", "--gtin", "9506000134352", "--lot", "L 1", "--serials", "1-3", "--out", "s.pdf", "--no-auth"],
        ["label", "batch", "--gtin", "9506000134352", "--lot", "L1", "--serials", "3-1", "--out", "s.pdf", "--no-auth"],
        ["label", "batch", "--gtin", "9506000134352", "--lot", "L1", "--serials", "1-20000", "--out", "s.pdf", "--no-auth"],
    ],
)
def test_bad_input_exits_non_zero(tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_batch_without_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACELEDGER_LABEL_KEY", raising=False)
    result = runner.invoke(
        app, ["label", "batch", "--gtin", "9506000134352", "--lot", "L1", "--serials", "1-2",
              "--out", str(tmp_path / "s.pdf")],
    )
    assert result.exit_code == 2
