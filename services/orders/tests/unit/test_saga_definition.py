"""The checkout's step table (``CHECKOUT``) is checked as it is declared, and each of its steps
sends its command to the participant it names."""

from dataclasses import dataclass, replace
from typing import Any

import pytest

from orders.domain import CHECKOUT, CheckoutData, OrderLine, SagaState
from orders.domain.saga.steps import Compensation, Reply, Retry, SagaDefinition, Step
from orders.messaging.outgoing import message_for

DATA = CheckoutData("o-1", "tok_ok", (OrderLine("sku-lamp", 1),), total_cents=1000)


def test_the_steps_read_in_order_with_their_participants() -> None:
    assert [(step.name, step.participant) for step in CHECKOUT.steps] == [
        ("reserve stock", "inventory"),
        ("charge payment", "payments"),
        ("commit stock", "inventory"),
    ]
    assert [step.name for step in CHECKOUT.steps if step.pivot] == ["charge payment"]


def test_each_command_goes_to_the_participant_its_step_names() -> None:
    for step in CHECKOUT.steps:
        contract, payload = message_for(step.command(DATA))
        assert contract.owner == step.participant, step.name
        assert payload.model_dump()["order_id"] == "o-1"
        if step.compensation is not None:
            contract, _ = message_for(step.compensation.command(DATA, "why"))
            assert contract.owner == step.participant, step.compensation.name


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class Undone:
    pass


def _step(name: str, **changes: Any) -> Step[CheckoutData]:
    step: Step[CheckoutData] = Step(
        name,
        participant="inventory",
        state=name.upper(),
        command=CheckoutData.commit_stock,
        succeeded=Reply(type(name, (), {})),
        deadline=Retry(),
    )
    return replace(step, **changes)


def _undo() -> Compensation[CheckoutData]:
    return Compensation("undo", "UNDOING", CheckoutData.release_stock, Reply(Undone))


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([_step("a"), _step("b")], "exactly one pivot"),
        ([_step("a", pivot=True), _step("b", pivot=True)], "exactly one pivot"),
        ([_step("a", pivot=True), _step("b", compensation=_undo())], "after the pivot"),
        ([_step("a", succeeded=Reply(Done), pivot=True), _step("b", succeeded=Reply(Done))],
         "more than one step"),
        ([_step("a", pivot=True), _step("b", state="A")], "one place"),
    ],
)  # fmt: skip
def test_a_saga_that_makes_no_sense_is_refused(
    steps: list[Step[CheckoutData]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SagaDefinition("test", *steps, confirmed=SagaState.CONFIRMED, rejected=SagaState.REJECTED)
