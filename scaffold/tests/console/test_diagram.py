"""The saga diagram: one box per step and compensation, arrows as the saga runs, the current
state marked, everything escaped (a step's name is text, never markup)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mkservice.console import diagram

SVG = "{http://www.w3.org/2000/svg}"

DEFINITION = {
    "name": "checkout",
    "confirmed": "CONFIRMED",
    "rejected": "REJECTED",
    "steps": [
        {"name": "reserve stock", "participant": "inventory", "state": "RESERVING_STOCK",
         "command": "inventory.reserve-stock", "failed_by": "inventory.stock-rejected",
         "on_deadline": "compensate", "pivot": False,
         "compensation": {"name": "release stock", "state": "RELEASING_STOCK",
                          "command": "inventory.release-stock"}},
        {"name": "charge payment", "participant": "payments", "state": "CHARGING_PAYMENT",
         "command": "payments.charge", "failed_by": "payments.declined",
         "on_deadline": "compensate", "pivot": True,
         "compensation": {"name": "refund payment", "state": "REFUNDING_PAYMENT",
                          "command": "payments.refund"}},
        {"name": "commit <stock>", "participant": "inventory", "state": "COMMITTING_STOCK",
         "command": "inventory.commit-stock", "failed_by": None, "on_deadline": "retry",
         "pivot": False, "compensation": None},
    ],
}  # fmt: skip


def boxes(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)  # well-formed: a name with markup in it was escaped
    return {g.get("data-state", ""): g for g in root.iter(f"{SVG}g")}


def test_every_step_compensation_and_end_state_is_a_box_and_only_the_current_is_marked():
    drawn = boxes(diagram.render(DEFINITION, "REFUNDING_PAYMENT"))
    assert set(drawn) == {
        "RESERVING_STOCK", "CHARGING_PAYMENT", "COMMITTING_STOCK", "CONFIRMED",
        "RELEASING_STOCK", "REFUNDING_PAYMENT", "REJECTED",
    }  # fmt: skip
    marked = [state for state, g in drawn.items() if "current" in g.get("class", "").split()]
    assert marked == ["REFUNDING_PAYMENT"]
    assert "pivot" in drawn["CHARGING_PAYMENT"].get("class", "")
    assert "commit <stock>" in "".join(drawn["COMMITTING_STOCK"].itertext())


def test_arrows_follow_the_saga_failure_undoes_the_steps_before_a_timeout_its_own_too():
    placed, arrows = diagram.layout(DEFINITION)
    by_state = {box.state: box for box in placed}
    pairs = {(start.state, end.state) for start, end in arrows}
    forward = [("RESERVING_STOCK", "CHARGING_PAYMENT"), ("CHARGING_PAYMENT", "COMMITTING_STOCK"),
               ("COMMITTING_STOCK", "CONFIRMED")]  # fmt: skip
    assert set(forward) <= pairs
    assert ("RESERVING_STOCK", "REJECTED") in pairs  # failed: nothing to undo yet
    assert ("RESERVING_STOCK", "RELEASING_STOCK") in pairs  # timed out: may have reserved
    assert ("CHARGING_PAYMENT", "RELEASING_STOCK") in pairs  # declined: undo the reserve
    assert ("CHARGING_PAYMENT", "REFUNDING_PAYMENT") in pairs  # timed out: may have charged
    assert ("REFUNDING_PAYMENT", "RELEASING_STOCK") in pairs
    assert ("RELEASING_STOCK", "REJECTED") in pairs
    # Nothing leaves the step after the pivot but forwards: it is retried, never undone.
    assert {end for start, end in pairs if start == "COMMITTING_STOCK"} == {"CONFIRMED"}
    assert by_state["REFUNDING_PAYMENT"].x > by_state["RELEASING_STOCK"].x


def test_a_finished_saga_marks_its_end_state_and_the_title_says_where_it_is():
    svg = diagram.render(DEFINITION, "CONFIRMED")
    assert "current" in boxes(svg)["CONFIRMED"].get("class", "")
    assert "this saga is at confirmed (CONFIRMED)" in svg
