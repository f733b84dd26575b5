"""The console's pages: the saga list (and the fragment it refreshes itself with), one saga,
the dead letters and one dead letter with its replay and discard forms.

Reads go to the services' APIs (:mod:`mkservice.console.clients`) and to NATS
(:mod:`mkservice.console.desk`); an answer that cannot be had becomes a message on the page
with a 4xx or 503 status, never a traceback.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mkservice.console import diagram
from mkservice.console.clients import (
    NotFoundThere,
    RefusedThere,
    ServiceApis,
    ServiceUnavailable,
)
from mkservice.console.dead_letters import (
    ActionFailed,
    AlreadyHandled,
    BadKey,
    DeadLetterGone,
    DeadLetters,
    ReasonRequired,
)
from mkservice.console.desk import DeadLetterDesk, NatsUnavailable
from mkservice.console.views import outcome_class

router = APIRouter()

FILTERS = ("running", "stuck", "confirmed", "rejected")
SearchText = Annotated[str | None, Query(max_length=500)]


def _apis(request: Request) -> ServiceApis:
    apis: ServiceApis = request.app.state.apis
    return apis


def _render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    page: Response = request.app.state.templates.TemplateResponse(
        request,
        template,
        {"has_sagas": _apis(request).has_sagas, "outcome_class": outcome_class, **context},
        status_code=status_code,
    )
    return page


@router.get("/health/ready", include_in_schema=False)
async def ready() -> dict[str, str]:
    return {"status": "ready"}


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    return RedirectResponse("/sagas" if _apis(request).has_sagas else "/dead-letters", 303)


@router.get("/sagas", response_class=HTMLResponse)
async def saga_list(
    request: Request,
    filter: SearchText = None,
    reason: SearchText = None,
    q: SearchText = None,
    cursor: SearchText = None,
) -> Response:
    """Every checkout: counts per state, filters, search, pages; the list refreshes itself."""
    context = await _saga_page(request, filter, reason, q, cursor)
    return _render(request, "sagas.html", context.pop("status_code"), **context)


@router.get("/sagas/fragment", response_class=HTMLResponse)
async def saga_list_fragment(
    request: Request,
    filter: SearchText = None,
    reason: SearchText = None,
    q: SearchText = None,
    cursor: SearchText = None,
) -> Response:
    """The counts and the table alone: what ``console.js`` swaps in every few seconds."""
    context = await _saga_page(request, filter, reason, q, cursor)
    return _render(request, "_saga_list.html", context.pop("status_code"), **context)


async def _saga_page(
    request: Request, filter: str | None, reason: str | None, q: str | None, cursor: str | None
) -> dict[str, Any]:
    query = {"filter": filter, "reason": reason, "q": q, "cursor": cursor}
    shown = {key: value for key, value in query.items() if value}
    context: dict[str, Any] = {
        "query": shown, "filters": FILTERS, "page": None, "error": None, "status_code": 200,
        "fragment_url": "/sagas/fragment?" + urlencode(shown),
        "first_page_url": "/sagas?" + urlencode({k: v for k, v in shown.items() if k != "cursor"}),
    }  # fmt: skip
    if filter and filter not in FILTERS:
        context.update(error=f"there is no filter {filter!r}: use one of {', '.join(FILTERS)}")
        context["status_code"] = 400
        return context
    try:
        context["page"] = await _apis(request).sagas(**query)
    except NotFoundThere as error:
        context.update(error=str(error), status_code=404)
    except RefusedThere as error:  # a bad cursor, an overlong search: orders says what
        context.update(error=str(error), status_code=400)
    except ServiceUnavailable as error:
        context.update(error=str(error), status_code=503)
    if context["page"] and context["page"].get("next_cursor"):
        context["next_url"] = "/sagas?" + urlencode(
            {**shown, "cursor": context["page"]["next_cursor"]}
        )
    return context


@router.get("/sagas/{order_id}", response_class=HTMLResponse)
async def saga_detail(request: Request, order_id: str) -> Response:
    """One checkout: its steps, compensations, messages, trace, and where it is in the saga."""
    apis = _apis(request)
    try:
        saga = await apis.saga(order_id)
        definition = await apis.saga_definition()
    except (NotFoundThere, RefusedThere):
        return _render(request, "error.html", 404, title="No such saga",
                       error=f"orders has no order {order_id}")  # fmt: skip
    except ServiceUnavailable as error:
        return _render(request, "error.html", 503, title="Orders did not answer", error=str(error))
    reservation = await _quietly(apis.participant_view("inventory", f"/reservations/{order_id}"))
    payment = await _quietly(apis.participant_view("payments", f"/payments/{order_id}"))
    return _render(
        request, "saga.html", saga=saga, reservation=reservation, payment=payment,
        diagram=diagram.render(definition, saga["state"]),
    )  # fmt: skip


async def _quietly(view: Any) -> dict[str, Any] | None:
    """A participant's view, or None when it does not answer: the saga page still shows."""
    try:
        result: dict[str, Any] | None = await view
        return result
    except ServiceUnavailable:
        return None


# --- dead letters ------------------------------------------------------------------------------
async def _letters(request: Request) -> DeadLetters:
    desk: DeadLetterDesk = request.app.state.desk
    return await desk.letters()


@router.get("/dead-letters", response_class=HTMLResponse)
async def dead_letter_list(request: Request, done: SearchText = None) -> Response:
    """Every parked message, and what was replayed or discarded lately."""
    try:
        letters = await _letters(request)
        parked = await letters.parked()
        actions = await letters.actions()
    except NatsUnavailable as error:
        return _render(request, "error.html", 503, title="NATS did not answer", error=str(error))
    return _render(request, "dead_letters.html", parked=parked, actions=actions, done=done)


@router.get("/dead-letters/{key}", response_class=HTMLResponse)
async def dead_letter_detail(request: Request, key: str) -> Response:
    try:
        letters = await _letters(request)
        letter = await letters.get(key)
    except NatsUnavailable as error:
        return _render(request, "error.html", 503, title="NATS did not answer", error=str(error))
    except (DeadLetterGone, BadKey) as error:
        action = await _action_for(request, key)
        return _render(request, "dead_letter.html", 404, letter=None, key=key, error=str(error),
                       action=action)  # fmt: skip
    return _render(request, "dead_letter.html", letter=letter, key=key, error=None, action=None)


async def _action_for(request: Request, key: str) -> Any:
    try:
        return await (await _letters(request)).action_for(key)
    except (BadKey, NatsUnavailable):
        return None


@router.post("/dead-letters/{key}/replay", response_class=HTMLResponse)
async def replay(request: Request, key: str) -> Response:
    """Send the message again to its original subject; its effect happens once (ADR 0023)."""
    return await _act(request, key, "replay")


@router.post("/dead-letters/{key}/discard", response_class=HTMLResponse)
async def discard(
    request: Request, key: str, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    """Remove the message for good, recording why."""
    return await _act(request, key, "discard", reason)


async def _act(request: Request, key: str, action: str, reason: str = "") -> Response:
    try:
        letters = await _letters(request)
        if action == "replay":
            done = await letters.replay(key)
        else:
            done = await letters.discard(key, reason.strip())
    except NatsUnavailable as error:
        return _render(request, "error.html", 503, title="NATS did not answer", error=str(error))
    except (AlreadyHandled, DeadLetterGone, BadKey) as error:
        action_done = error.action if isinstance(error, AlreadyHandled) else None
        return _render(request, "dead_letter.html", 409, letter=None, key=key, error=str(error),
                       action=action_done)  # fmt: skip
    except ReasonRequired as error:
        letter = await _quietly_letter(letters, key)
        return _render(request, "dead_letter.html", 400, letter=letter, key=key, error=str(error),
                       action=None)  # fmt: skip
    except ActionFailed as error:  # the publish failed: nothing changed, it can be tried again
        letter = await _quietly_letter(letters, key)
        return _render(request, "dead_letter.html", 503, letter=letter, key=key,
                       error=str(error), action=None)  # fmt: skip
    verb = "replayed to" if done.action == "replayed" else "discarded from"
    message = f"{key} {verb} {done.original_subject}"
    return RedirectResponse("/dead-letters?" + urlencode({"done": message}), status_code=303)


async def _quietly_letter(letters: DeadLetters, key: str) -> Any:
    try:
        return await letters.get(key)
    except (DeadLetterGone, BadKey):
        return None
