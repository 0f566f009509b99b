"""How a panel displays: its static version as an output of its own (mlnb/widgets/_fallback.py).

The kernel case (static output, then the live widget output) is checked end to end in
test_nbconvert_fallback.py and tests/browser/test_exported_fallbacks.py; here: the static HTML
itself, and a shell without a kernel (a terminal IPython), where only the static version shows.
"""

from __future__ import annotations

import pytest

import mlnb
from mlnb.widgets._fallback import WIDGET_VIEW, readable_html, split_bundle

XSS = "<img src=x onerror=alert(1)>"


def test_readable_html_wraps_scrolls_tables_and_fits_images():
    html = (
        '<div><table><thead><tr><th style="border:1px solid">run</th></tr></thead>'
        f"<tbody><tr><td>2026-12-07 17:17:20</td><td>{'a long description ' * 4}</td></tr></tbody></table>"
        '<img alt="plot" src="data:image/png;base64,AAAA"/><img src="data:," style="width:9px"></div>'
    )
    out = readable_html(html, "compare")
    assert out.startswith(
        '<div class="mlnb-fallback mlnb-fallback-compare tex2jax_ignore mathjax_ignore" style="max-width:100%;overflow-x:auto">'
    )
    # the table sits in its own horizontal scroll box; cells keep one line
    assert '<div class="mlnb-fallback-scroll" style="overflow-x:auto;max-width:100%"><table>' in out
    assert '<th style="white-space:nowrap;border:1px solid">run</th>' in out
    assert '<td style="white-space:nowrap;">2026-12-07 17:17:20</td>' in out
    assert '<td style="min-width:16em;">a long description' in out  # long text wraps, readably
    assert "<thead>" in out and "<tbody>" in out  # not mistaken for cells
    # images shrink to the output's width; an image's own style is kept
    assert '<img style="max-width:100%;height:auto;" alt="plot"' in out
    assert 'style="max-width:100%;height:auto;width:9px"' in out
    assert "<style" not in out and "<script" not in out


def test_split_bundle_keeps_the_widget_view_out_of_the_static_version():
    static, view = split_bundle(
        ({WIDGET_VIEW: {"model_id": "m"}, "text/html": "<b>t</b>", "text/plain": "p"}, {})
    )
    assert view == {"model_id": "m"}
    assert static == {"text/html": "<b>t</b>", "text/plain": "p"}
    assert split_bundle({"text/plain": "p"}) == ({"text/plain": "p"}, None)


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def _display(shell, obj):
    from IPython.display import display
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        display(obj)
    return captured.outputs


def test_a_shell_without_a_kernel_shows_the_static_version_only(store, shell):
    mlnb.set_experiment("fallback")
    for i in range(2):
        with mlnb.start_run(run_name=XSS if i == 0 else "b"):
            mlnb.log_metric("acc", 0.5 + i / 10)
    mlnb.flush()
    panel = mlnb.compare()
    try:
        outputs = _display(shell, panel)
        assert len(outputs) == 1  # no front end could draw the widget: nothing but the static version
        (static,) = outputs
        assert WIDGET_VIEW not in static.data
        assert static.metadata == {"mlnb": {"fallback": "compare"}}
        html = static.data["text/html"]
        assert html.startswith(
            '<div class="mlnb-fallback mlnb-fallback-compare tex2jax_ignore mathjax_ignore"'
        )
        assert "mlnb compare: 2 runs" in html
        assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert static.data["text/plain"] == repr(panel)
    finally:
        panel.close()
