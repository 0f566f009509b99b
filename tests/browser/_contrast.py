"""Colour contrast read from a real page: WCAG ratios of computed colours (alpha blended)."""

from __future__ import annotations

from typing import Any

# parse any computed CSS colour through the browser itself, blend alpha over the backdrop and
# return the WCAG 2 contrast ratio
CONTRAST_JS = """
(() => {
  const rgba = (css) => {
    const probe = document.createElement('div');
    probe.style.color = css;
    document.body.appendChild(probe);
    const m = getComputedStyle(probe).color.match(/[\\d.]+/g).map(Number);
    probe.remove();
    return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
  };
  const over = (top, bottom) => top.slice(0, 3).map((c, i) => c * top[3] + bottom[i] * (1 - top[3]));
  const lum = (rgb) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]);
  };
  window.mlnbContrast = (fg, bg, backdrop) => {
    const base = backdrop ? rgba(backdrop) : [255, 255, 255, 1];
    const b = over(rgba(bg), base);
    const f = over(rgba(fg), b);
    const [hi, lo] = [lum(f), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  window.mlnbThemeColour = (variable) => {
    const probe = document.createElement('div');
    probe.style.color = `var(${variable})`;
    document.body.appendChild(probe);
    const value = getComputedStyle(probe).color;
    probe.remove();
    return value;
  };
})()
"""


def install(page: Any) -> None:
    """Define ``window.mlnbContrast(fg, bg, backdrop)`` and ``window.mlnbThemeColour(var)``."""
    page.evaluate(CONTRAST_JS)


def text_contrast(page: Any, selector: str) -> list[dict[str, Any]]:
    """Text colour, background and their contrast of each element matching ``selector``.

    The background is the nearest non-transparent one up the tree, over the theme's
    ``--jp-layout-color0``.
    """
    install(page)
    return page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector)).map((el) => {
            let bg = 'rgba(0, 0, 0, 0)';
            for (let n = el; n && n !== document.documentElement; n = n.parentElement) {
                const c = getComputedStyle(n).backgroundColor;
                if (!/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent') { bg = c; break; }
            }
            const fg = getComputedStyle(el).color;
            const page = window.mlnbThemeColour('--jp-layout-color0');
            return { text: el.textContent, fg, bg, ratio: window.mlnbContrast(fg, bg, page) };
        })""",
        selector,
    )
