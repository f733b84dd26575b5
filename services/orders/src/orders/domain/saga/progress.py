"""How far each step of a saga got, read off its timeline: for operators, not for the saga.

The saga never reads its timeline back (it keeps its own state); this module only derives, for
one stored checkout, a :class:`StepRun` per step of the definition (reached or not) and per
compensation that ran: its status, its attempts and how long it took. Plain Python: the message
types the commands travel as are handed in (:class:`MessageTypes`), since only the messaging
layer knows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from orders.domain.model import TimelineEntry
from orders.domain.saga.steps import SagaDefinition

NOT_STARTED = "not started"
RUNNING = "running"
RETRYING = "retrying"
# What each timeline outcome makes of its step's run; "started" and "retried" are handled apart
# (they begin or count an attempt). A step that succeeds late was given up on, then happened.
FINISHING = {
    "succeeded": "succeeded",
    "failed": "failed",
    "timed out": "timed out",
    "succeeded late": "succeeded late",
}


@dataclass(frozen=True)
class MessageTypes:
    """The message types the saga's commands and replies travel as (``messaging`` builds it)."""

    commands: Mapping[str, str]  # a step's or compensation's name -> its command's type
    replies: Mapping[type, str]  # a reply event's class -> its message type


@dataclass(frozen=True)
class StepRun:
    """One step (or compensation) of one saga as it ran."""

    step: str
    command: str
    participant: str
    status: str = NOT_STARTED
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def duration_ms(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds() * 1000

    def after(self, entry: TimelineEntry) -> StepRun:
        """This run once ``entry`` (one of its step's) happened."""
        if entry.outcome == "started":
            return replace(self, status=RUNNING, attempts=1, started_at=entry.at, finished_at=None)
        if entry.outcome == "retried":
            return replace(self, status=RETRYING, attempts=self.attempts + 1)
        status = FINISHING.get(entry.outcome)
        if status is None:
            return self  # an outcome this view does not know: the timeline still shows it
        # The last word counts: a refund recorded again after the rejection returned money then.
        return replace(self, status=status, finished_at=entry.at)


@dataclass(frozen=True)
class Progress:
    """Every step of the definition in order, and the compensations in the order they ran."""

    steps: list[StepRun]
    compensations: list[StepRun]


def progress_of(
    definition: SagaDefinition[Any], timeline: Iterable[TimelineEntry], types: MessageTypes
) -> Progress:
    """Replay ``timeline`` (oldest first) over the steps of ``definition``."""
    steps = {
        step.name: StepRun(step.name, types.commands[step.name], step.participant)
        for step in definition.steps
    }
    undoing = {
        step.compensation.name: StepRun(
            step.compensation.name, types.commands[step.compensation.name], step.participant
        )
        for step in definition.steps
        if step.compensation is not None
    }
    ran: list[str] = []  # compensations, in the order they began
    for entry in timeline:
        if entry.step in steps:
            steps[entry.step] = steps[entry.step].after(entry)
        elif entry.step in undoing:
            if entry.step not in ran:
                ran.append(entry.step)
            undoing[entry.step] = undoing[entry.step].after(entry)
    return Progress(list(steps.values()), [undoing[name] for name in ran])
