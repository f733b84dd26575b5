"""One fault run, start to verdict: start the system, place orders while faults hit it, let it
settle, check the invariants over every database, report.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chassis import naming

from mkservice.stack import discover_services, log_tail
from mkservice_lab.chaos.availability import TARGET_PERCENT, accepted_during_faults
from mkservice_lab.chaos.cluster import Cluster, build_cluster, crash_points_of
from mkservice_lab.chaos.config import SETTLE_DEADLINE_S, ChaosConfig
from mkservice_lab.chaos.dbread import Databases, snapshot
from mkservice_lab.chaos.injectors import FaultLog, ProcessFaults
from mkservice_lab.chaos.invariants import check
from mkservice_lab.chaos.load import LoadDriver, LoadResult
from mkservice_lab.chaos.pacing import Pacer
from mkservice_lab.chaos.replay import MessageFaults
from mkservice_lab.chaos.report import passed, print_report, verdict_line, write_report
from mkservice_lab.chaos.scenario import Scenario, plan
from mkservice_lab.chaos.settle import wait_settled
from mkservice_lab.client import CheckoutClient

Echo = Callable[[str], None]

_LOG_TAIL_LINES = 40
# How long the run's customer token is valid: longer than any full run.
RUN_TOKEN_S = 86_400


def run_chaos(config: ChaosConfig, repo: Path, echo: Echo = print) -> int:
    """Run, print the report (verdict last), write ``<run_dir>/report.json``; the exit code."""
    specs = discover_services(repo)
    crash_points = {spec.name: crash_points_of(spec) for spec in specs}
    scenario = plan(config, crash_points)
    base = (repo / config.run_dir).resolve()
    run_dir = base / f"run-{config.seed}"
    shutil.rmtree(run_dir, ignore_errors=True)
    cluster = build_cluster(config, specs, run_dir, repo)
    begun = time.monotonic()
    nats = f"{config.nats_nodes} nats-server nodes" if config.nats_nodes > 1 else "nats-server"
    each = f"{config.replicas} replicas each of " if config.replicas > 1 else ""
    names = ", ".join(spec.name for spec in specs)
    echo(f"chaos: starting {nats} and {each}{names} in {run_dir}")
    try:
        cluster.start()
        report = asyncio.run(_run(cluster, scenario, echo))
    finally:
        cluster.stop()
    report["run"].update(
        seed=config.seed, db_mode=config.db_mode, sagas_planned=config.sagas,
        fault_episodes_planned=config.fault_episodes, replicas=config.replicas,
        nats_nodes=config.nats_nodes,
        duration_s=time.monotonic() - begun,
        run_dir=str(run_dir), finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )  # fmt: skip
    report["crash_points"] = crash_points
    write_report(base / "report.json", report)
    ok = report["passed"]
    if not ok:
        # CI keeps only what was printed: the end of every log, before the report.
        for log_file in sorted((run_dir / "logs").glob("*.log")):
            echo(f"--- last lines of {log_file.name}")
            for line in log_tail(log_file, _LOG_TAIL_LINES).splitlines():
                echo(f"    {line}")
    print_report(report, echo)
    if ok and not config.keep_run:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0 if ok else 1


def customer_authorization(cluster: Cluster, seed: int) -> dict[str, str]:
    """The header of the run's customer, ``chaos-<seed>``: valid for as long as a full run can
    take (a day), since the load never stops to fetch a new one."""
    token = cluster.supervisor.token(f"chaos-{seed}", expires_in_s=RUN_TOKEN_S)
    return {"Authorization": f"Bearer {token}"}


async def _create_products(cluster: Cluster, scenario: Scenario) -> None:
    urls = {"inventory": cluster.url("inventory")}
    async with CheckoutClient(urls, tokens=cluster.supervisor) as client:
        for product in scenario.products:
            await client.create_product(product.sku, product.stock, price_cents=product.price_cents)


async def _progress(pacer: Pacer, faults: FaultLog, echo: Echo) -> None:
    while True:
        await asyncio.sleep(30)
        echo(
            f"  {pacer.elapsed():5.0f}s: {pacer.placed}/{pacer.total} orders placed, "
            f"{pacer.unfinished} unfinished, {faults.injected} faults injected"
        )


async def _run(cluster: Cluster, scenario: Scenario, echo: Echo) -> dict[str, Any]:
    config = cluster.config
    await _create_products(cluster, scenario)
    databases = Databases({spec.name: cluster.database_url(spec.name) for spec in cluster.specs})
    lanes = scenario.process_lanes()
    pacer = Pacer(len(scenario.orders), [[e.gate for e in lane] for lane in lanes.values()])
    faults = FaultLog()
    process = ProcessFaults(cluster, pacer, faults)
    messages = MessageFaults(cluster.nats_url, *cluster.operator, pacer, faults, config.seed)
    await messages.start()
    load = LoadDriver(
        scenario.orders, cluster.round_robin("orders"), databases, pacer,
        seed=config.seed, clients=config.clients, max_pending=config.max_pending,
        give_up_s=config.give_up_s, authorization=customer_authorization(cluster, config.seed),
    )  # fmt: skip
    progress = asyncio.create_task(_progress(pacer, faults, echo))
    problems = faults.problems
    try:
        await asyncio.gather(
            load.run(),
            messages.run(scenario.lane("message")),
            *(process.run(lane) for lane in lanes.values()),
        )
        result = load.result
        await messages.drain()
        await process.heal()
        echo(f"chaos: faults over after {pacer.elapsed():.0f}s; waiting for the system to settle")
        streams = [naming.stream_name(spec.name) for spec in cluster.specs]
        settled = await wait_settled(databases, messages, pacer, faults.last_fault_s, streams)
        snap = await snapshot(databases)
        dead_letters = await messages.dead_letters(streams)
    finally:
        progress.cancel()
        await messages.close()
    if not settled.settled:
        problems.append(f"the system did not settle: {settled.last_state}")
    problems += [f"order refused: {refusal}" for refusal in result.refused[:20]]
    verdict = check(
        snap, scenario, result.accepted,
        not_terminal_at_deadline=settled.not_terminal_at_deadline, dead_letters=dead_letters,
    )  # fmt: skip
    summary: dict[str, int | float] = {
        "sagas": len(result.accepted), "faults": faults.injected, **verdict.summary()
    }  # fmt: skip
    if config.on_a_cluster:
        share = accepted_during_faults(result.posts, faults.records, config)
        summary["accepted_during_faults"] = 0.0 if share is None else share
        if share is None or share < TARGET_PERCENT:
            problems.append(
                f"accepted_during_faults below its target of {TARGET_PERCENT}%: "
                f"{summary['accepted_during_faults']:.2f}% of {len(result.posts)} POSTs"
            )
    return {
        "summary_line": verdict_line(summary),
        "summary": summary,
        "passed": passed(summary) and not problems,
        "run": {},
        "faults": faults.by_kind(),
        "crash_points_reached": _crash_points_reached(faults),
        # Restarts that failed once and worked 5 s later (e.g. during a PostgreSQL restart).
        "restarts_retried": sum(r.note.startswith("restart failed") for r in faults.records),
        "fault_log": [record.as_dict() for record in faults.records],
        "outcomes": _outcomes(scenario, result, snap),
        "load": {
            "accepted": len(result.accepted),
            "posts": len(result.posts),
            "posts_not_accepted": result.failures,
            "upstream_retries": result.upstream_retries,
            "retries": result.retries,
            "duplicates_republished": messages.published,
            "fresh_envelope_ids": messages.fresh_ids,
        },
        "settle": {
            "last_fault_s": faults.last_fault_s,
            "all_terminal_after_last_fault_s": settled.terminal_after_s,
            "settled_after_last_fault_s": settled.settled_after_s,
            "deadline_s": SETTLE_DEADLINE_S,
        },
        "dead_letters": dead_letters,
        "invariants": verdict.examples(),
        "problems": problems,
    }


def _crash_points_reached(faults: FaultLog) -> dict[str, str]:
    """Per crash point: how many of its episodes died there (the rest were killed instead)."""
    tally: dict[str, list[int]] = {}
    for record in faults.records:
        if record.kind == "crash":
            counts = tally.setdefault(f"{record.target} {record.detail}", [0, 0])
            counts[0] += not record.note
            counts[1] += 1
    return {point: f"{reached}/{tried}" for point, (reached, tried) in sorted(tally.items())}


def _outcomes(scenario: Scenario, result: LoadResult, snap: dict[str, Any]) -> dict[str, str]:
    status = {row["id"]: row["status"] for row in snap["orders"]["orders"]}
    table: dict[str, dict[str, int]] = {}
    for order in scenario.orders:
        final = status.get(result.accepted.get(order.index, ""), "MISSING")
        counts = table.setdefault(order.outcome, {})
        counts[final] = counts.get(final, 0) + 1
    return {
        outcome: " / ".join(f"{n} {state.lower()}" for state, n in sorted(counts.items()))
        for outcome, counts in table.items()
    }
