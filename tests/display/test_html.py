"""The one HTML builder of the static displays: text escaped, markup passed on only when marked."""

from __future__ import annotations

from mlnb.display.html import Cell, Html, bullets, esc, img, table

XSS = '<img src=x onerror="alert(1)">'


def test_table_escapes_text_and_keeps_marked_markup() -> None:
    out = table([XSS], [[XSS], [Html("<b>bold</b>")]])
    assert "<img" not in out and esc(XSS) in out
    assert "<td><b>bold</b></td>" in out
    assert out.startswith("<table><thead><tr><th>") and out.endswith("</tbody></table>")


def test_cell_attributes_are_escaped_and_row_headers_are_th() -> None:
    out = table([], [[Cell("key", style="color:red", title=XSS, header=True), Cell("1", style="text-align:right")]])
    assert "<thead>" not in out  # no headers, no header row
    assert f'<th style="color:red" title="{esc(XSS)}">key</th>' in out
    assert '<td style="text-align:right">1</td>' in out


def test_table_attributes_caption_and_default_cell_style() -> None:
    out = table(
        ["a"],
        [["1"]],
        classes="mlnb-static",
        attrs={"data-panel": "compare"},
        style="border-collapse:collapse",
        cell_style="padding:2px",
        caption="runs <3",
    )
    assert out.startswith('<table class="mlnb-static" data-panel="compare" style="border-collapse:collapse">')
    assert "<caption" in out and ">runs &lt;3</caption>" in out
    assert '<th style="padding:2px">a</th>' in out and '<td style="padding:2px">1</td>' in out


def test_lists_and_images() -> None:
    assert bullets(["<x>", Html("<b>y</b>")]) == "<ul><li>&lt;x&gt;</li><li><b>y</b></li></ul>"
    assert bullets(["a"], ordered=True, style="margin:0") == '<ol style="margin:0"><li>a</li></ol>'
    tag = img("QUJD", XSS, title="t")
    assert tag.startswith(f'<img alt="{esc(XSS)}" title="t"') and 'src="data:image/png;base64,QUJD"' in tag
