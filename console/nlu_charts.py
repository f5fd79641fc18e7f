"""Charts as SVG drawn on the server: no script, no inline style (the console's CSP allows
neither), text escaped. Colours are presentation attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

PALETTE = ("#0b57a4", "#b3261e", "#1b6e3a", "#9a5b00", "#6a3fa0", "#00838f", "#c2185b",
           "#5d4037", "#7f8c8d")
WIDTH, HEIGHT = 760, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 170, 12, 36


def _frame(title: str, body: list[str]) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
                  f'role="img" aria-label={quoteattr(title)} class="chart">'
                  f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _x_labels(labels: Sequence[str], step: float) -> list[str]:
    every = max(1, len(labels) // 10)
    return [f'<text x="{_LEFT + step * (i + 0.5):.1f}" y="{HEIGHT - _BOTTOM + 16}" '
            f'font-size="11" text-anchor="middle" fill="#5b6876">{escape(label)}</text>'
            for i, label in enumerate(labels) if i % every == 0]


def _legend(names: Sequence[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        y = _TOP + 14 + i * 18
        out.append(f'<rect x="{WIDTH - _RIGHT + 12}" y="{y - 10}" width="12" height="12" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{WIDTH - _RIGHT + 30}" y="{y}" font-size="12" '
                   f'fill="#1d2733">{escape(name)}</text>')
    return out


def stacked_bars(title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]]) -> Markup:
    """One bar per label, stacked by series (in the order given)."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    step = plot_w / max(1, len(labels))
    body = [f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" '
            f'y2="{_TOP + plot_h}" stroke="#d8dee6"/>',
            f'<text x="{_LEFT - 6}" y="{_TOP + 10}" font-size="11" text-anchor="end" '
            f'fill="#5b6876">{peak}</text>',
            f'<text x="{_LEFT - 6}" y="{_TOP + plot_h}" font-size="11" text-anchor="end" '
            f'fill="#5b6876">0</text>']
    for i in range(len(labels)):
        bottom = float(_TOP + plot_h)
        for s, (name, values) in enumerate(series.items()):
            if not values[i]:
                continue
            height = values[i] / peak * plot_h
            bottom -= height
            body.append(f'<rect x="{_LEFT + step * i + step * 0.15:.1f}" y="{bottom:.1f}" '
                        f'width="{step * 0.7:.1f}" height="{height:.1f}" '
                        f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(labels[i])} '
                        f'{escape(name)}: {values[i]}</title></rect>')
    return _frame(title, body + _x_labels(labels, step) + _legend(list(series)))


def _share_axis(plot_w: float, plot_h: float) -> list[str]:
    """Grid lines at 0, 50 and 100 %."""
    body = []
    for share in (0.0, 0.5, 1.0):
        y = _TOP + plot_h * (1 - share)
        body.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot_w}" y2="{y:.1f}" '
                    f'stroke="#d8dee6"/><text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" '
                    f'text-anchor="end" fill="#5b6876">{share:.0%}</text>')
    return body


def share_bars(title: str, labels: Sequence[str],
               series: Mapping[str, Sequence[float | None]]) -> Markup:
    """Shares from 0 to 100 %, a group of bars per label, one bar per series side by side;
    no data leaves no bar."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    step = plot_w / max(1, len(labels))
    width = step * 0.8 / max(1, len(series))
    body = _share_axis(plot_w, plot_h)
    for s, (name, values) in enumerate(series.items()):
        for i, value in enumerate(values):
            if value is None:
                continue
            height = value * plot_h
            body.append(f'<rect x="{_LEFT + step * i + step * 0.1 + width * s:.1f}" '
                        f'y="{_TOP + plot_h - height:.1f}" width="{width:.1f}" '
                        f'height="{height:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                        f"<title>{escape(labels[i])} {escape(name)}: {value:.0%}</title></rect>")
    return _frame(title, body + _x_labels(labels, step) + _legend(list(series)))


def lines(title: str, labels: Sequence[str],
          series: Mapping[str, Sequence[float | None]]) -> Markup:
    """Shares from 0 to 100 %, one line per series; a day without data leaves a gap."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    step = plot_w / max(1, len(labels))
    body = _share_axis(plot_w, plot_h)
    for s, (name, values) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for i, value in enumerate(values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            x, y = _LEFT + step * (i + 0.5), _TOP + plot_h * (1 - value)
            segment.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                        f'<title>{escape(labels[i])} {escape(name)}: {value:.0%}</title>'
                        f"</circle>")
        body += [f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                 f'stroke-width="2"/>' for points in segments if len(points) > 1]
    return _frame(title, body + _x_labels(labels, step) + _legend(list(series)))
