"""The words the checkout saga is declared in (``checkout.py``), and what it decides.

A saga is a list of :class:`Step`: each names its participant, the command it sends, the reply
that completes it (and the one that fails it), what happens when its deadline passes, and the
:class:`Compensation` that undoes it. :class:`SagaDefinition` checks that the list makes sense
and says where in it each stored state is. Every step and compensation waits for its reply at
most the saga's step timeout; a compensation whose deadline passes is always sent again, since
undoing must not give up.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from orders.domain.commands import SagaCommand
from orders.domain.events import Outcome
from orders.domain.model import TimelineEntry

S = TypeVar("S")  # the saga whose data the commands are made from

Text = Callable[[Any], str]
"""What the timeline says of a reply: ``lambda reply: f"charged {reply.amount_cents} cents"``."""


@dataclass(frozen=True)
class Reply(Generic[S]):
    """The reply that completes a step: what its timeline says, what the saga keeps of it, and
    what the timeline says when it comes after the order was rejected (None: nothing)."""

    event: type
    detail: Text | None = None
    keep: Callable[[S, Any], None] | None = None
    after_rejection: Callable[[Any], str | None] | None = None


@dataclass(frozen=True)
class Failure:
    """The reply that fails a step (it has a ``reason``). The timeline shows the participant's
    reason; the order is rejected for ``reason`` of it (by default the same)."""

    event: type
    reason: Text = operator.attrgetter("reason")


@dataclass(frozen=True)
class Late:
    """A step's success that arrives after the saga undid it (or gave up before sending it):
    its compensation is sent again, for ``reason``; the timeline says ``detail``."""

    reason: str
    detail: Text


@dataclass(frozen=True)
class Compensate:
    """When the deadline passes the step may have happened or still happen: undo it, and every
    step before it, for ``reason``."""

    reason: str


@dataclass(frozen=True)
class Retry:
    """When the deadline passes the command is sent again, with backoff: the step must succeed."""


Deadline = Compensate | Retry


@dataclass(frozen=True)
class Compensation(Generic[S]):
    """What undoes a step: a command (given why) and the reply that confirms it. Its deadline
    always retries: undoing must not give up."""

    name: str
    state: str
    command: Callable[[S, str], SagaCommand]
    succeeded: Reply[S]


@dataclass(frozen=True)
class Step(Generic[S]):
    """One step of the saga; ``state`` is where the saga stands while it waits for the reply."""

    name: str
    participant: str
    state: str
    command: Callable[[S], SagaCommand]
    succeeded: Reply[S]
    deadline: Deadline
    failed: Failure | None = None
    compensation: Compensation[S] | None = None
    late: Late | None = None
    # Once this step succeeded nothing can fail the saga: its outcome is decided here.
    pivot: bool = False


class Role(Enum):
    """What a reply says about the step it answers."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    COMPENSATED = "compensated"


class SagaDefinition(Generic[S]):
    """A saga's name, its steps in order, and its two finished states."""

    def __init__(self, name: str, *steps: Step[S], confirmed: str, rejected: str) -> None:
        self.name = name
        self.steps: Sequence[Step[S]] = steps
        self.confirmed = confirmed
        self.rejected = rejected
        self._check()
        # Where each stored state is: (the step's index, compensating?). Finished states sit
        # past either end: confirmed after the last step, rejected below the first compensation.
        self._positions: dict[str, tuple[int, bool]] = {confirmed: (len(steps), False)}
        self._positions[rejected] = (-1, True)
        # Which step each reply answers, and how.
        self._answers: dict[type, tuple[int, Role]] = {}
        for index, step in enumerate(steps):
            self._positions[step.state] = (index, False)
            self._answer(step.succeeded.event, index, Role.SUCCEEDED)
            if step.failed is not None:
                self._answer(step.failed.event, index, Role.FAILED)
            if step.compensation is not None:
                self._positions[step.compensation.state] = (index, True)
                self._answer(step.compensation.succeeded.event, index, Role.COMPENSATED)

    def position(self, state: str) -> tuple[int, bool]:
        """The index of the step ``state`` waits on, and whether it waits on its compensation."""
        return self._positions[state]

    def answered_by(self, reply: object) -> tuple[int, Role] | None:
        """The index of the step ``reply`` answers and what it says; None for no step's."""
        return self._answers.get(type(reply))

    def _answer(self, reply: type, index: int, role: Role) -> None:
        if reply in self._answers:
            raise ValueError(f"{reply.__name__} answers more than one step")
        self._answers[reply] = (index, role)

    def confirms_in(self, state: str) -> bool:
        """True when a saga in ``state`` is past its pivot: its outcome is confirmed."""
        index, compensating = self.position(state)
        return not compensating and index > self._pivot

    @property
    def _pivot(self) -> int:
        return next(index for index, step in enumerate(self.steps) if step.pivot)

    def _check(self) -> None:
        states = [self.confirmed, self.rejected]
        for step in self.steps:
            states.append(step.state)
            if step.compensation is not None:
                states.append(step.compensation.state)
            if step.late is not None and step.compensation is None:
                raise ValueError(f"{step.name!r} cannot undo a late success: no compensation")
        if len(set(states)) != len(states):
            raise ValueError(f"each state must name one place in the saga: {states}")
        pivots = [index for index, step in enumerate(self.steps) if step.pivot]
        if len(pivots) != 1:
            raise ValueError(f"a saga needs exactly one pivot step, not {len(pivots)}")
        for step in self.steps[pivots[0] + 1 :]:
            if step.compensation is not None or not isinstance(step.deadline, Retry):
                raise ValueError(
                    f"{step.name!r} comes after the pivot: it must be retried, never undone"
                )


@dataclass
class Decision:
    """What the saga decided on one event: the commands to send and the timeline entries to
    record, in order, and the outcome when this very decision reached it (to announce it).

    An entry that sends a command or the outcome holds it (``TimelineEntry.sends``), so what
    the entry stands for on the wire is never guessed from positions or labels.
    """

    commands: list[SagaCommand] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    outcome: Outcome | None = None

    @property
    def changed(self) -> bool:
        return bool(self.commands or self.timeline or self.outcome)

    def then(self, other: Decision) -> Decision:
        """This decision followed by ``other``."""
        return Decision(
            commands=[*self.commands, *other.commands],
            timeline=[*self.timeline, *other.timeline],
            outcome=other.outcome or self.outcome,
        )
