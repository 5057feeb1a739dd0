"""Every label rendered here is decoded with zxing-cpp and must give back exactly its URI."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from gs1 import format_digital_link, giai_from_registration_code, link_for_asset
from tests.trace_api.labels.decode import decode_pdf_pages, decode_png, decode_svg
from trace_api.labels import (
    BatchRequest,
    batch_labels,
    make_label,
    parse_serial_range,
    render_batch,
    render_label,
)
from trace_api.labels.errors import UnsupportedFormatError
from trace_api.labels.png import render_png
from trace_api.labels.qr import EC_LEVEL, QUIET_ZONE_MODULES, encode_qr

KEY = bytes(range(32))
ITEM_URI = "https://id.gs1.org/01/09506000134352/10/L1%2F2/21/1000?17=270331&auth=K2B3YM5U"
EQUIPMENT_URI = format_digital_link(
    link_for_asset(giai_from_registration_code("6901234", "梯11京A00123（17）"))
)
URIS = [
    ITEM_URI,
    EQUIPMENT_URI,
    "https://trace.example.cn/00/106141411234567897",
    "https://id.gs1.org/414/9506000134376",
]


@pytest.mark.parametrize("uri", URIS)
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_single_label_decodes_to_its_uri(uri: str, fmt: str) -> None:
    label = make_label(uri, product_name="Organic apples 有机苹果", emergency_phone="96333")
    data = render_label(label, fmt)
    if fmt == "svg":
        assert decode_svg(data.decode()) == [uri]
    elif fmt == "png":
        assert decode_png(data) == [uri]
    else:
        assert decode_pdf_pages(data) == [[uri]]


def test_human_readable_lines() -> None:
    item = make_label(ITEM_URI, product_name="Organic apples")
    assert item.lines == (
        "Organic apples",
        "GTIN 09506000134352",
        "LOT L1/2",
        "SN 1000",
        "EXP 2027-03-31",
    )
    lift = make_label(EQUIPMENT_URI, registration_code="梯11京A00123（17）", emergency_phone="96333")
    assert lift.lines == ("Reg. code 梯11京A00123（17）", "Emergency 96333")


def test_png_keeps_quiet_zone_and_print_ec_level() -> None:
    symbol = encode_qr(ITEM_URI)
    module_px = 8
    image = Image.open(io.BytesIO(render_png(make_label(ITEM_URI), module_px=module_px)))
    quiet = QUIET_ZONE_MODULES * module_px
    side = (symbol.size + 2 * QUIET_ZONE_MODULES) * module_px
    assert image.width == side
    border = [image.getpixel((x, y)) for x in range(side) for y in range(quiet)]
    border += [image.getpixel((x, y)) for x in range(quiet) for y in range(side)]
    assert set(border) == {255}
    import zxingcpp

    (result,) = zxingcpp.read_barcodes(image)
    assert result.ec_level == EC_LEVEL == "Q"


def test_batch_pdf_sheet_every_page_decodes() -> None:
    request = BatchRequest(gtin="9506000134352", lot="L7", serials=parse_serial_range("1-45"))
    labels = list(batch_labels(request, key=KEY))
    pages = decode_pdf_pages(render_batch(labels, "pdf"), dpi=150)
    assert len(pages) == 3  # 20 per A4 sheet
    expected = [label.uri for label in labels]
    assert sorted(pages[0]) == sorted(expected[:20])
    assert sorted(pages[1]) == sorted(expected[20:40])
    assert sorted(pages[2]) == sorted(expected[40:])


@pytest.mark.parametrize("fmt", ["zip-png", "zip-svg"])
def test_batch_zip_every_file_decodes(fmt: str) -> None:
    request = BatchRequest(gtin="9506000134352", lot="L7", serials=range(5, 9), serial_width=4)
    labels = list(batch_labels(request, key=KEY))
    with zipfile.ZipFile(io.BytesIO(render_batch(labels, fmt))) as archive:
        names = archive.namelist()
        assert names == [f"{i:04d}.{fmt[4:]}" for i in range(1, 5)]
        for name, label in zip(names, labels):
            data = archive.read(name)
            decoded = decode_png(data) if fmt == "zip-png" else decode_svg(data.decode())
            assert decoded == [label.uri]
    assert labels[0].uri.startswith("https://id.gs1.org/01/09506000134352/10/L7/21/0005?auth=")


def test_unknown_format() -> None:
    with pytest.raises(UnsupportedFormatError):
        render_label(make_label(ITEM_URI), "gif")
    with pytest.raises(UnsupportedFormatError):
        render_batch([], "tar")
