"""A saga's definition drawn as an SVG, with where one saga stands marked: no script, no CDN.

The definition comes from the saga owner's API (orders' ``GET /operations/saga-definition``), so
the drawing follows the code that runs the saga. Forward steps run left to right on the top row
towards the confirmed state; each compensation sits under the step it undoes, and they run right
to left towards the rejected state. The box of the current state is marked (class ``current``,
and its title says so for a screen reader); a pivot step is drawn with a double border.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

BOX_W, BOX_H, GAP_X, ROW_GAP, MARGIN = 170, 64, 46, 58, 16
END_W = 120


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    state: str
    title: str
    lines: tuple[str, ...]
    kind: str  # "step", "compensation" or "end"
    pivot: bool = False


def layout(definition: Mapping[str, Any]) -> tuple[list[Box], list[tuple[Box, Box]]]:
    """The boxes and the arrows (from, to) of ``definition``."""
    steps = list(definition["steps"])
    top, bottom = MARGIN, MARGIN + BOX_H + ROW_GAP
    left = MARGIN + END_W + GAP_X  # the rejected state sits left of the first compensation
    forward: list[Box] = []
    undo: dict[int, Box] = {}
    for index, step in enumerate(steps):
        x = left + index * (BOX_W + GAP_X)
        forward.append(
            Box(x, top, BOX_W, step["state"], step["name"],
                (step["participant"], step["command"]), "step", bool(step.get("pivot"))),
        )  # fmt: skip
        compensation = step.get("compensation")
        if compensation:
            undo[index] = Box(
                x, bottom, BOX_W, compensation["state"], compensation["name"],
                (step["participant"], compensation["command"]), "compensation",
            )  # fmt: skip
    confirmed_x = left + len(steps) * (BOX_W + GAP_X)
    confirmed = Box(confirmed_x, top, END_W, definition["confirmed"], "confirmed", (), "end")
    rejected = Box(MARGIN, bottom, END_W, definition["rejected"], "rejected", (), "end")
    arrows: list[tuple[Box, Box]] = list(zip(forward, [*forward[1:], confirmed], strict=True))
    # As the saga runs it (orders' machine): a step that fails is undone from the compensation
    # of the step before it; one whose deadline passes may still happen, so from its own.
    for index, (box, step) in enumerate(zip(forward, steps, strict=True)):
        if step.get("failed_by"):
            arrows.append((box, _undo_from(undo, index - 1, rejected)))
        if step.get("on_deadline") == "compensate":
            arrows.append((box, _undo_from(undo, index, rejected)))
    ordered = [undo[i] for i in sorted(undo)]
    for later, earlier in zip(ordered[::-1], [*ordered[::-1][1:], rejected], strict=True):
        arrows.append((later, earlier))
    return [*forward, confirmed, *ordered, rejected], arrows


def _undo_from(undo: Mapping[int, Box], index: int, rejected: Box) -> Box:
    """The first compensation run when the steps up to ``index`` are undone, last first."""
    return next((undo[i] for i in range(index, -1, -1) if i in undo), rejected)


def render(definition: Mapping[str, Any], current: str | None) -> Markup:
    """The SVG markup of ``definition`` with the box of state ``current`` marked."""
    boxes, arrows = layout(definition)
    width = max(box.x + box.width for box in boxes) + MARGIN
    height = MARGIN * 2 + BOX_H * 2 + ROW_GAP
    name = escape(definition.get("name", "saga"))
    parts = [
        f'<svg class="saga-diagram" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="diagram-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="diagram-title">The {name} saga: steps left to right, compensations '
        f"below them right to left{escape(_where(boxes, current))}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>'
        "</defs>",
    ]
    parts += [_arrow(start, end) for start, end in dict.fromkeys(arrows)]
    parts += [_box(box, box.state == current) for box in boxes]
    parts.append("</svg>")
    return Markup("".join(parts))


def _where(boxes: list[Box], current: str | None) -> str:
    at = next((box for box in boxes if box.state == current), None)
    return f"; this saga is at {at.title} ({at.state})" if at else ""


def _arrow(start: Box, end: Box) -> str:
    if start.y == end.y:  # along a row
        forward = end.x > start.x
        x1 = start.x + start.width if forward else start.x
        x2 = end.x if forward else end.x + end.width
        y1 = y2 = start.y + BOX_H // 2
    else:  # down from a step to the compensation that starts undoing it
        x1 = start.x + start.width // 2
        x2 = end.x + end.width // 2 if end.kind != "end" else end.x + end.width
        y1, y2 = start.y + BOX_H, end.y + (0 if end.kind != "end" else BOX_H // 2)
    kind = "undo" if start.y != end.y or end.x < start.x else "next"
    return (
        f'<line class="arrow {kind}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
        'marker-end="url(#arrow)"/>'
    )


def _box(box: Box, current: bool) -> str:
    classes = " ".join(
        c
        for c in ("box", box.kind, "pivot" if box.pivot else "", "current" if current else "")
        if c
    )
    label = f"{box.title} ({box.state}){', current' if current else ''}"
    text_x = box.x + 10
    lines = [f'<text class="title" x="{text_x}" y="{box.y + 22}">{escape(box.title)}</text>']
    lines += [
        f'<text class="detail" x="{text_x}" y="{box.y + 40 + 14 * i}">{escape(line)}</text>'
        for i, line in enumerate(box.lines)
    ]
    return (
        f'<g class="{classes}" data-state="{escape(box.state)}"><title>{escape(label)}</title>'
        f'<rect x="{box.x}" y="{box.y}" width="{box.width}" height="{BOX_H}" rx="8"/>'
        + "".join(lines)
        + "</g>"
    )
