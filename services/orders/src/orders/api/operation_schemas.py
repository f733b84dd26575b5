"""Response bodies of the operations API (``operations.py``): the shape the saga console
reads, so its names stay put."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from orders.api.schemas import LineOut
from orders.domain import TimelineEntry
from orders.domain.saga import overview
from orders.domain.saga.progress import MessageTypes, StepRun
from orders.domain.saga.steps import Compensate, SagaDefinition

Outcome = Literal["pending", "confirmed", "rejected"]
Direction = Literal["sent", "received"]


class SagaSummary(BaseModel):
    order_id: str
    customer_id: str
    state: str  # a SagaState value
    outcome: Outcome  # the order's status, lowercased
    reason: str | None
    total_cents: int | None
    placed_at: datetime
    updated_at: datetime
    deadline_at: datetime | None
    attempts: int
    stuck: bool

    @staticmethod
    def fields_of(summary: overview.SagaSummary) -> dict[str, object]:
        return {
            "order_id": summary.order_id,
            "customer_id": summary.customer_id,
            "state": summary.state.value,
            "outcome": summary.status.value.lower(),
            "reason": summary.reason,
            "total_cents": summary.total_cents,
            "placed_at": summary.placed_at,
            "updated_at": summary.updated_at,
            "deadline_at": summary.deadline_at,
            "attempts": summary.attempts,
            "stuck": summary.stuck,
        }

    @classmethod
    def of(cls, summary: overview.SagaSummary) -> SagaSummary:
        return cls.model_validate(cls.fields_of(summary))


class SagaCounts(BaseModel):
    running: int
    stuck: int
    confirmed: int
    rejected: int
    total: int


class ReasonCount(BaseModel):
    reason: str
    count: int


class SagaPage(BaseModel):
    items: list[SagaSummary]
    next_cursor: str | None
    counts: SagaCounts  # over every saga, whatever the filter
    states: dict[str, int]  # every SagaState value, 0 included
    rejection_reasons: list[ReasonCount]  # most frequent first, at most 20

    @classmethod
    def of(
        cls, items: list[overview.SagaSummary], next_cursor: str | None, totals: overview.SagaTotals
    ) -> SagaPage:
        counts = SagaCounts(
            running=totals.running, stuck=totals.stuck, confirmed=totals.confirmed,
            rejected=totals.rejected, total=totals.total,
        )  # fmt: skip
        return cls(
            items=[SagaSummary.of(item) for item in items],
            next_cursor=next_cursor,
            counts=counts,
            states={state.value: n for state, n in totals.states.items()},
            rejection_reasons=[ReasonCount(reason=r, count=n) for r, n in totals.reasons],
        )


class StepRunOut(BaseModel):
    step: str
    command: str  # the message type of its command, as on the wire
    participant: str
    status: str  # not started, running, retrying, succeeded, failed, timed out, succeeded late
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: float | None

    @classmethod
    def of(cls, run: StepRun) -> StepRunOut:
        return cls(
            step=run.step, command=run.command, participant=run.participant, status=run.status,
            attempts=run.attempts, started_at=run.started_at, finished_at=run.finished_at,
            duration_ms=run.duration_ms,
        )  # fmt: skip


class TimelineItem(BaseModel):
    step: str
    outcome: str
    detail: str | None
    at: datetime
    message_id: str | None
    message_type: str | None
    direction: Direction | None

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineItem:
        message = entry.message
        return cls(
            step=entry.step, outcome=entry.outcome, detail=entry.detail, at=entry.at,
            message_id=message.id if message else None,
            message_type=message.type if message else None,
            direction=message.direction.value if message else None,
        )  # fmt: skip


class MessageOut(BaseModel):
    direction: Direction
    message_id: str
    message_type: str
    step: str  # the timeline entry it belongs to ("order" for the outcome)
    at: datetime


class SagaDetail(SagaSummary):
    lines: list[LineOut]
    trace_id: str | None
    steps: list[StepRunOut]  # every step of the definition, in order, reached or not
    compensations: list[StepRunOut]  # those that ran, in the order they ran
    timeline: list[TimelineItem]
    messages: list[MessageOut]  # sent and received, in order

    @classmethod
    def of_record(
        cls, record: overview.SagaRecord, steps: list[StepRun], undone: list[StepRun]
    ) -> SagaDetail:
        messages = [
            MessageOut(
                direction=e.message.direction.value,
                message_id=e.message.id,
                message_type=e.message.type,
                step=e.step,
                at=e.at,
            )  # fmt: skip
            for e in record.timeline
            if e.message is not None
        ]
        return cls.model_validate(
            {
                **SagaSummary.fields_of(record.summary),
                "lines": [LineOut(sku=line.sku, quantity=line.quantity) for line in record.lines],
                "trace_id": record.trace_id,
                "steps": [StepRunOut.of(run) for run in steps],
                "compensations": [StepRunOut.of(run) for run in undone],
                "timeline": [TimelineItem.of(entry) for entry in record.timeline],
                "messages": messages,
            }
        )


class CompensationOut(BaseModel):
    name: str
    state: str
    command: str
    succeeded_by: str


class StepOut(BaseModel):
    name: str
    participant: str
    state: str
    command: str
    succeeded_by: str
    failed_by: str | None
    on_deadline: Literal["compensate", "retry"]
    pivot: bool
    compensation: CompensationOut | None


class SagaDefinitionOut(BaseModel):
    name: str
    steps: list[StepOut]
    confirmed: str
    rejected: str

    @classmethod
    def of(cls, definition: SagaDefinition[Any], types: MessageTypes) -> SagaDefinitionOut:
        steps = []
        for step in definition.steps:
            undo = step.compensation
            compensation = None
            if undo is not None:
                compensation = CompensationOut(
                    name=undo.name, state=undo.state, command=types.commands[undo.name],
                    succeeded_by=types.replies[undo.succeeded.event],
                )  # fmt: skip
            steps.append(
                StepOut(
                    name=step.name,
                    participant=step.participant,
                    state=step.state,
                    command=types.commands[step.name],
                    succeeded_by=types.replies[step.succeeded.event],
                    failed_by=types.replies[step.failed.event] if step.failed else None,
                    on_deadline="compensate" if isinstance(step.deadline, Compensate) else "retry",
                    pivot=step.pivot,
                    compensation=compensation,
                )
            )
        return cls(
            name=definition.name,
            steps=steps,
            confirmed=definition.confirmed,
            rejected=definition.rejected,
        )
