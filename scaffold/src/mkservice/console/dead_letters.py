"""The dead letters of a set of services: list them, and replay or discard each one once.

A consumer parks a message it cannot apply on ``<service>.dlq.<consumer>`` in its service's
stream, with its original headers and three of its own (``chassis.consumer``). Replaying it
publishes the original body and headers to the original subject again; discarding it removes it.
Either way it is first *claimed*: the action is recorded in a JetStream KV bucket with ``create``,
which fails when the key exists, so two clicks (or two consoles) never both act. Only then is it
carried out, and a claim whose work was cut short (the console died) is finished by the next
attempt. The message id the replay is published with, the stream's duplicate window and every
consumer's inbox make its effect happen once
(docs/adr/0023-replaying-a-dead-letter-happens-once.md).

Everything goes through the JetStream API subjects the console's NATS user is granted
(``mkservice.stack.nats_auth.ConsoleGrant``): message get and delete, KV, publish; no consumer.
"""

from __future__ import annotations

import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from chassis import naming
from chassis.clock import Clock, utcnow
from chassis.consumer import (
    DEAD_LETTER_CONSUMER_HEADER,
    DEAD_LETTER_REASON_HEADER,
    ORIGINAL_SUBJECT_HEADER,
)
from chassis.envelope import MSG_ID_HEADER, TYPE_HEADER, Envelope
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import (
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NotFoundError,
)
from nats.js.kv import KeyValue
from pydantic import ValidationError

from mkservice.stack.nats_auth import CONSOLE_BUCKET

REPLAYED, DISCARDED = "replayed", "discarded"
MAX_REASON_CHARS = 500
_DEAD_LETTER_HEADERS = (
    DEAD_LETTER_REASON_HEADER,
    DEAD_LETTER_CONSUMER_HEADER,
    ORIGINAL_SUBJECT_HEADER,
)
_PUBLISH_TIMEOUT_S = 5.0
# A record matters while its dead letter may still be in the stream (a claim cut short); long
# after, a replay claimed again is still deduplicated by the message id. Bounding the bucket
# bounds the scan behind `actions`.
_RECORD_KEPT_S = 30 * 86_400
# nats-py's KV marks a deleted key with this header (the record of a replay that failed).
_KV_OPERATION = "KV-Operation"


@dataclass(frozen=True)
class DeadLetter:
    """A message a consumer parked: where it was parked, why, and the message itself."""

    service: str
    stream: str
    sequence: int
    subject: str
    consumer: str
    reason: str
    original_subject: str
    headers: dict[str, str]
    body: str
    parked_at: datetime
    message_id: str | None
    message_type: str | None

    @property
    def key(self) -> str:
        """``ORDERS.17``: names it in the stream, and in a URL."""
        return f"{self.stream}.{self.sequence}"


@dataclass(frozen=True)
class DeadLetterAction:
    """What was done with a dead letter, and when: replayed, or discarded for a reason."""

    key: str
    action: str
    reason: str | None
    at: datetime
    original_subject: str
    message_id: str | None

    def describe(self) -> str:
        at = self.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        if self.action == REPLAYED:
            return f"{self.key} was already replayed at {at}"
        return f"{self.key} was discarded at {at} because {self.reason}"


class DeadLetterError(Exception):
    """Why a dead letter cannot be shown or acted on, in a sentence for the page."""


class DeadLetterGone(DeadLetterError):
    """No dead letter has this key: it never existed, or someone else removed it."""

    def __init__(self, key: str) -> None:
        super().__init__(f"there is no dead letter {key}: it never existed or was removed")


class AlreadyHandled(DeadLetterError):
    """The dead letter was replayed or discarded already: ``action`` says which, and when."""

    def __init__(self, action: DeadLetterAction) -> None:
        super().__init__(action.describe())
        self.action = action


class BadKey(DeadLetterError):
    """The key names no stream of these services, or no sequence in one."""


class ReasonRequired(DeadLetterError):
    """A discard needs a reason (of at most ``MAX_REASON_CHARS`` characters)."""


class ActionFailed(DeadLetterError):
    """NATS refused or did not answer part of the work; what the message says can be retried."""


class DeadLetters:
    """The dead letters of ``services``, read and acted on through the JetStream context ``js``;
    what was done is recorded in the KV bucket ``bucket`` (created when first needed)."""

    def __init__(
        self,
        js: JetStreamContext,
        services: Sequence[str],
        *,
        bucket: str = CONSOLE_BUCKET,
        clock: Clock = utcnow,
    ) -> None:
        self.js = js
        self.services = list(services)
        self.bucket = bucket
        self.clock = clock
        self._streams = {naming.stream_name(service): service for service in self.services}
        self._kv: KeyValue | None = None

    async def parked(self, limit: int = 500) -> list[DeadLetter]:
        """Every dead letter still in the services' streams, oldest first, ``limit`` at most."""
        letters: list[DeadLetter] = []
        for stream, service in self._streams.items():
            letters += await self._scan(stream, service, limit)
        letters.sort(key=lambda letter: (letter.parked_at, letter.key))
        return letters[:limit]

    async def get(self, key: str) -> DeadLetter:
        """The dead letter ``key``; :class:`DeadLetterGone` if it is not (or no longer) there."""
        found = await self._fetch(*self._parse(key))
        if found is None:
            raise DeadLetterGone(key)
        return found[0]

    async def replay(self, key: str) -> DeadLetterAction:
        """Publish the dead letter to its original subject again, then remove it; once."""

        def replayed(letter: DeadLetter) -> DeadLetterAction:
            if not self._replayable(letter.original_subject):
                raise ActionFailed(
                    f"{key} cannot be replayed: its original subject {letter.original_subject!r} "
                    "is not a command or an event of these services"
                )
            return self._action(letter, REPLAYED, None)

        return await self._handle(key, replayed)

    async def discard(self, key: str, reason: str) -> DeadLetterAction:
        """Remove the dead letter for good, recording ``reason``; once."""
        reason = (reason or "").strip()
        if not reason:
            raise ReasonRequired("say why the message is discarded")
        if len(reason) > MAX_REASON_CHARS:
            raise ReasonRequired(f"the reason must be {MAX_REASON_CHARS} characters at most")
        return await self._handle(key, lambda letter: self._action(letter, DISCARDED, reason))

    async def actions(self, limit: int = 100) -> list[DeadLetterAction]:
        """The dead letters replayed or discarded lately, newest first, ``limit`` at most."""
        prefix = f"$KV.{self.bucket}."
        recent: deque[DeadLetterAction] = deque(maxlen=limit)
        async for message in self._messages(f"KV_{self.bucket}", f"{prefix}>"):
            deleted = (message.headers or {}).get(_KV_OPERATION) is not None
            if message.subject and message.data and not deleted:
                recent.append(_action_from(message.subject[len(prefix) :], message.data))
        return sorted(recent, key=lambda action: action.at, reverse=True)

    async def action_for(self, key: str) -> DeadLetterAction | None:
        """What was done with the dead letter ``key``, if anything."""
        self._parse(key)
        recorded = await self._recorded(key)
        return recorded[0] if recorded is not None else None

    # --- claiming, then doing ---------------------------------------------------------------
    async def _handle(
        self, key: str, wanted: Callable[[DeadLetter], DeadLetterAction]
    ) -> DeadLetterAction:
        """Claim the dead letter for the action ``wanted`` makes of it, then carry that out; or
        finish the action someone else claimed and did not finish."""
        found = await self._fetch(*self._parse(key))
        if found is None:
            recorded = await self._recorded(key)
            if recorded is not None:
                raise AlreadyHandled(recorded[0])
            raise DeadLetterGone(key)
        letter, body = found
        action = wanted(letter)
        revision = await self._claim(action)
        if revision is not None:
            await self._carry_out(action, letter, body, claimed=revision)
            return action
        recorded = await self._recorded(key)
        if recorded is None:  # a replay that had claimed it just failed and let it go
            raise ActionFailed(f"{key} was being handled by someone else: look at it again")
        await self._carry_out(recorded[0], letter, body, claimed=None)
        if recorded[0].action != action.action:
            raise AlreadyHandled(recorded[0])
        return recorded[0]

    async def _carry_out(
        self, action: DeadLetterAction, letter: DeadLetter, body: bytes, *, claimed: int | None
    ) -> None:
        """Publish the replay (if it is one), then delete the dead letter. A replay whose
        publish fails gives back the claim it made (revision ``claimed``), so it can be tried
        again or discarded instead."""
        if action.action == REPLAYED:
            headers = {**letter.headers, MSG_ID_HEADER: _replay_id(letter)}
            try:
                await self.js.publish(
                    action.original_subject, body, timeout=_PUBLISH_TIMEOUT_S, headers=headers
                )
            except Exception as error:
                if claimed is not None:
                    await self._unclaim(action.key, claimed)
                raise ActionFailed(
                    f"{action.key} could not be replayed to {action.original_subject} "
                    f"({error!r}); it is still parked, try again"
                ) from error
        try:
            await self.js.delete_msg(letter.stream, letter.sequence)
        except NotFoundError:
            pass  # another console finishing the same claim deleted it first
        except Exception as error:
            raise ActionFailed(
                f"{action.key} was {action.action} but could not be removed from {letter.stream} "
                f"yet ({error!r}); do it again to finish"
            ) from error

    def _action(self, letter: DeadLetter, action: str, reason: str | None) -> DeadLetterAction:
        return DeadLetterAction(
            letter.key, action, reason, self.clock(), letter.original_subject, letter.message_id
        )

    def _replayable(self, subject: str) -> bool:
        """Whether ``subject`` is a command or an event of one of the services: the only
        subjects the console may publish on (never a dead-letter subject)."""
        tokens = subject.split(".")
        kinds = {naming.COMMAND, naming.EVENT}
        return len(tokens) >= 3 and tokens[0] in self.services and tokens[1] in kinds

    # --- the records ------------------------------------------------------------------------
    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self.js.key_value(self.bucket)
            except BucketNotFoundError:
                self._kv = await self.js.create_key_value(bucket=self.bucket, ttl=_RECORD_KEPT_S)
        return self._kv

    async def _claim(self, action: DeadLetterAction) -> int | None:
        """Record ``action`` if nothing is recorded for its key yet: its revision, else None."""
        kv = await self._bucket()
        try:
            return await kv.create(action.key, _action_value(action))
        except KeyWrongLastSequenceError:
            return None

    async def _unclaim(self, key: str, revision: int) -> None:
        kv = await self._bucket()
        # If this fails too, the claim stays: the next replay finishes it instead of starting.
        with contextlib.suppress(Exception):
            await kv.delete(key, last=revision)

    async def _recorded(self, key: str) -> tuple[DeadLetterAction, int] | None:
        kv = await self._bucket()
        try:
            entry = await kv.get(key)
        except KeyNotFoundError:
            return None
        if entry.value is None or entry.revision is None:
            return None
        return _action_from(key, entry.value), entry.revision

    # --- reading the streams ----------------------------------------------------------------
    def _parse(self, key: str) -> tuple[str, int]:
        stream, _, sequence = key.rpartition(".")
        if stream not in self._streams or not sequence.isdigit() or int(sequence) < 1:
            raise BadKey(
                f"{key!r} is no dead letter's key: that is <STREAM>.<sequence>, the stream one "
                f"of {', '.join(self._streams) or 'no services'}"
            )
        return stream, int(sequence)

    async def _fetch(self, stream: str, sequence: int) -> tuple[DeadLetter, bytes] | None:
        """The dead letter at ``sequence`` of ``stream``, with its body's bytes; None when there
        is no message there, or one that is not a dead letter of the stream's service."""
        service = self._streams[stream]
        try:
            message = await self.js.get_msg(stream, seq=sequence)
        except NotFoundError:
            return None
        if not (message.subject or "").startswith(_dead_letter_prefix(service)):
            return None
        return _dead_letter(service, stream, message), message.data or b""

    async def _scan(self, stream: str, service: str, limit: int) -> list[DeadLetter]:
        found = []
        async for message in self._messages(stream, f"{_dead_letter_prefix(service)}>"):
            found.append(_dead_letter(service, stream, message))
            if len(found) >= limit:
                break
        return found

    async def _messages(self, stream: str, subject: str) -> AsyncIterator[RawStreamMsg]:
        """The messages of ``stream`` on ``subject``, in order, one message get each (a get
        needs no consumer, which the console may not create); none if the stream is missing."""
        sequence = 1
        while True:
            try:
                message = await self.js.get_msg(stream, seq=sequence, subject=subject, next=True)
            except NotFoundError:  # no (further) message, or no stream yet
                return
            yield message
            sequence = (message.seq or sequence) + 1


def _dead_letter_prefix(service: str) -> str:
    return f"{service}.{naming.DEAD_LETTER}."


def _replay_id(letter: DeadLetter) -> str:
    """The same for every attempt at replaying this dead letter, so the stream's duplicate
    window drops a second publish; and unlike the original's id, so it drops no replay."""
    return f"replay-{letter.stream}-{letter.sequence}"


def _dead_letter(service: str, stream: str, message: RawStreamMsg) -> DeadLetter:
    headers = {str(name): str(value) for name, value in (message.headers or {}).items()}
    ours = {name: headers.pop(name, "") for name in _DEAD_LETTER_HEADERS}
    data = message.data or b""
    message_id: str | None
    message_type: str | None
    try:
        envelope = Envelope.parse(data)
        message_id, message_type = envelope.id, envelope.type
    except ValidationError:
        message_id, message_type = headers.get(MSG_ID_HEADER), headers.get(TYPE_HEADER)
    parked_at = message.time or datetime.fromtimestamp(0, UTC)
    return DeadLetter(
        service=service,
        stream=stream,
        sequence=int(message.seq or 0),
        subject=message.subject or "",
        consumer=ours[DEAD_LETTER_CONSUMER_HEADER],
        reason=ours[DEAD_LETTER_REASON_HEADER],
        original_subject=ours[ORIGINAL_SUBJECT_HEADER],
        headers=headers,
        body=data.decode("utf-8", errors="replace"),
        parked_at=parked_at.astimezone(UTC) if parked_at.tzinfo else parked_at.replace(tzinfo=UTC),
        message_id=message_id,
        message_type=message_type,
    )


def _action_value(action: DeadLetterAction) -> bytes:
    record = asdict(action)
    del record["key"]  # the KV key
    record["at"] = action.at.isoformat()
    return json.dumps(record).encode()


def _action_from(key: str, value: bytes) -> DeadLetterAction:
    record = json.loads(value)
    return DeadLetterAction(
        key=key,
        action=record["action"],
        reason=record.get("reason"),
        at=datetime.fromisoformat(record["at"]),
        original_subject=record.get("original_subject", ""),
        message_id=record.get("message_id"),
    )
