"""The seeded plan of a run: the catalogue, the stream of orders and the schedule of faults.

Everything random in a run comes from here and from one seed, so a run can be repeated: the
same orders in the same order, the same faults at the same points of the order stream. (Process
timing still varies from run to run; the plan does not.)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from mkservice_lab.chaos.config import ChaosConfig

OUTCOMES = ("ok", "out_of_stock", "decline", "slow")
_WEIGHTS = (0.55, 0.15, 0.15, 0.15)
TOKENS = {"ok": "tok_ok", "out_of_stock": "tok_ok", "decline": "tok_decline", "slow": "tok_slow"}
PLENTIFUL = ("chaos-a", "chaos-b", "chaos-c", "chaos-d", "chaos-e")
PRICES = {"chaos-a": 450, "chaos-b": 990, "chaos-c": 1_250, "chaos-d": 1_990, "chaos-e": 2_500}
SCARCE, SOLD_OUT = "chaos-scarce", "chaos-soldout"


@dataclass(frozen=True)
class Product:
    sku: str
    price_cents: int
    stock: int


@dataclass(frozen=True)
class PlannedOrder:
    index: int
    outcome: str  # what the mix asked for: ok, out_of_stock, decline, slow
    lines: tuple[tuple[str, int], ...]
    token: str

    def body(self, seed: int) -> dict[str, object]:
        lines = [{"sku": sku, "quantity": quantity} for sku, quantity in self.lines]
        # The customer is the token's subject (chaos-<seed>), not a field of the body.
        return {"lines": lines, "payment_token": self.token}


@dataclass(frozen=True)
class Episode:
    """One fault. ``gate`` is the share of orders placed before it may begin (0..1)."""

    number: int
    lane: str  # a service (its kills, crash points), "infra" (outages) or "message"
    # kill, crash, nats-outage, postgres-restart, duplicate; on a NATS cluster nats-node-kill,
    # nats-leader-kill and nats-rolling-restart instead of nats-outage
    kind: str
    gate: float
    target: str = ""  # a service, for kill and crash
    point: str = ""  # the crash point, for crash
    delay_s: float = 0.0  # a random moment after the gate
    duration_s: float = 0.0  # downtime of a kill or an outage; longest delay of duplicates
    count: int = 0  # messages re-published by a duplicate episode
    replica: int = 1  # which of the target service's processes, for kill and crash


@dataclass
class Scenario:
    seed: int
    products: list[Product]
    orders: list[PlannedOrder]
    episodes: list[Episode] = field(default_factory=list)

    def lane(self, name: str) -> list[Episode]:
        return [episode for episode in self.episodes if episode.lane == name]

    def process_lanes(self) -> dict[str, list[Episode]]:
        """The lanes of process faults (one per service, and "infra"), each in gate order."""
        lanes: dict[str, list[Episode]] = {}
        for episode in self.episodes:
            if episode.lane != "message":
                lanes.setdefault(episode.lane, []).append(episode)
        return lanes


def plan_orders(config: ChaosConfig, rng: random.Random) -> list[PlannedOrder]:
    orders = []
    for index in range(config.sagas):
        outcome = rng.choices(OUTCOMES, _WEIGHTS)[0]
        skus = rng.sample(PLENTIFUL, rng.choice((1, 1, 2)))
        lines = [(sku, rng.randint(1, 3)) for sku in skus]
        if outcome == "out_of_stock":
            lines.append((SOLD_OUT, rng.randint(1, 2)))
        elif outcome == "ok" and rng.random() < 0.1:
            lines.append((SCARCE, 1))  # the last units: some of these run out of stock
        orders.append(PlannedOrder(index, outcome, tuple(lines), TOKENS[outcome]))
    return orders


def plan_products(config: ChaosConfig, orders: list[PlannedOrder]) -> list[Product]:
    """Enough stock of each plentiful sku for every order at once, a scarce one, an empty one."""
    demand: dict[str, int] = {sku: 0 for sku in PLENTIFUL}
    for order in orders:
        for sku, quantity in order.lines:
            if sku in demand:
                demand[sku] += quantity
    products = [Product(sku, PRICES[sku], demand[sku] + 10) for sku in PLENTIFUL]
    products.append(Product(SCARCE, 3_000, max(5, config.sagas // 100)))
    products.append(Product(SOLD_OUT, 700, 0))
    return products


def plan_faults(
    config: ChaosConfig, rng: random.Random, crash_points: dict[str, list[str]]
) -> list[Episode]:
    """Every (service, crash point) once, one long nats-server outage, then a random mix.

    On a NATS cluster, instead of the outages: the stream leader killed, a rolling restart of
    every node, and (with PostgreSQL restarts) one of those, each at least once; with replicas,
    a kill or crash hits one replica, chosen by the seed.

    Process faults run in one lane per service (kills and crash points of that service) and one
    for the infrastructure (nats-server, PostgreSQL): the lanes run at the same time, so one
    service may be down while another restarts or the broker is away. About a third of the
    episodes are message faults (duplicated, delayed, reordered deliveries), in a lane of
    their own.
    """
    total = config.fault_episodes
    services = sorted(crash_points)
    process: list[tuple[str, str, str]] = [
        ("crash", service, point) for service in services for point in crash_points[service]
    ]
    message_count = max(1, total // 3)
    kinds = ["kill"] * 5 + ["crash"] * 3
    if config.nats_nodes > 1:
        # A cluster keeps its quorum: one node at a time, the stream leader among them.
        process += [("nats-leader-kill", "", ""), ("nats-rolling-restart", "", "")]
        kinds += ["nats-node-kill", "nats-leader-kill", "nats-rolling-restart"]
    else:
        process.append(("nats-outage-long", "", ""))
        kinds += ["nats-outage"] * 2
    if config.postgres_restart:
        kinds.append("postgres-restart")
        if config.nats_nodes > 1:
            process.append(("postgres-restart", "", ""))
    while len(process) < total - message_count:
        kind = rng.choice(kinds)
        service = rng.choice(services)
        point = rng.choice(crash_points[service]) if kind == "crash" else ""
        process.append((kind, service if kind in {"kill", "crash"} else "", point))
    rng.shuffle(process)
    lanes: dict[str, list[tuple[str, str, str]]] = {}
    for fault in process:
        lanes.setdefault(fault[1] or "infra", []).append(fault)
    infra = lanes["infra"]
    if config.nats_nodes == 1:
        # The long outage goes at 40% of the infrastructure lane, the rest around it.
        infra.insert(int(len(infra) * 0.4), infra.pop(infra.index(("nats-outage-long", "", ""))))

    episodes = []
    for lane, faults in lanes.items():
        for slot, (kind, target, point) in enumerate(faults):
            gate = (slot + 0.2 + rng.random() * 0.6) / (len(faults) + 1)
            episode = _process_episode(config, rng, lane, kind, target, point, gate)
            if target and config.replicas > 1:
                episode = replace(episode, replica=rng.randint(1, config.replicas))
            episodes.append(episode)
    for slot in range(message_count):
        gate = (slot + rng.random()) / (message_count + 1)
        low, high = config.duplicates_per_episode
        count = rng.randint(low, high)
        episodes.append(
            Episode(0, "message", "duplicate", gate, delay_s=rng.uniform(0, 2),
                    duration_s=config.max_duplicate_delay_s, count=count)
        )  # fmt: skip
    episodes.sort(key=lambda episode: episode.gate)
    return [_numbered(episode, number) for number, episode in enumerate(episodes, 1)]


def _process_episode(
    config: ChaosConfig, rng: random.Random, lane: str, kind: str, target: str, point: str,
    gate: float,
) -> Episode:  # fmt: skip
    delay = rng.uniform(0, 2.0)
    if kind == "nats-outage-long":
        return Episode(0, lane, "nats-outage", gate, delay_s=delay,
                       duration_s=config.long_outage_s)  # fmt: skip
    if kind == "nats-outage":
        return Episode(0, lane, kind, gate, delay_s=delay,
                       duration_s=rng.uniform(*config.short_outage_s))  # fmt: skip
    if kind in {"nats-node-kill", "nats-leader-kill"}:
        return Episode(0, lane, kind, gate, delay_s=delay,
                       duration_s=rng.uniform(*config.short_outage_s))  # fmt: skip
    if kind == "kill":
        return Episode(0, lane, kind, gate, target, delay_s=delay,
                       duration_s=rng.uniform(0, 3.0))  # fmt: skip
    if kind == "crash":
        return Episode(0, lane, kind, gate, target, point, delay_s=delay)
    return Episode(0, lane, kind, gate, delay_s=delay)


def _numbered(episode: Episode, number: int) -> Episode:
    return replace(episode, number=number)


def plan(config: ChaosConfig, crash_points: dict[str, list[str]]) -> Scenario:
    """The whole plan of a run from ``config.seed``."""
    rng = random.Random(config.seed)
    orders = plan_orders(config, rng)
    products = plan_products(config, orders)
    return Scenario(config.seed, products, orders, plan_faults(config, rng, crash_points))
