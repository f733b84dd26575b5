"""``mkservice subscribe CONSUMER MESSAGE_TYPE`` in a copy of the workspace: the owner's contract
copied (nested models and imports too), a route and a handler stub with its test, the subject
granted and the NATS users rendered again; refusals and failures leave the tree as it was.

Both services are made here by ``mkservice new`` under names no team would pick, so the tests
hold whatever services the workspace has. The owner gets a contract with a nested model, a
``datetime`` and a default, the shapes a copy has to carry.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from scaffold_support import copy_repo, mkservice, mkservice_json, snapshot

from mkservice.generator import subscription
from mkservice.generator.errors import Refused
from mkservice.generator.subscription import apply_subscription, covers, plan_subscription

OWNER = "zz-probe-sub-owner"
OWNER_PACKAGE = "zz_probe_sub_owner"
CONSUMER = "zz-probe-sub-reader"
PACKAGE = "zz_probe_sub_reader"
TYPE = f"{OWNER}.parcel-sent"
SUBJECT = f"{OWNER}.evt.parcel-sent"

OWNER_CONTRACT = f'''

class ParcelLineV1(BaseModel):
    sku: str
    quantity: int


class ParcelSentV1(BaseModel):
    parcel_id: str
    weight_grams: int
    sent_at: datetime
    lines: list[ParcelLineV1]
    note: str = ""


PARCEL_SENT = Contract(
    "{SUBJECT}",
    "{TYPE}",
    ParcelSentV1,
)
'''


def _owner_with_a_nested_contract(repo: Path) -> None:
    path = repo / "services" / OWNER / "src" / OWNER_PACKAGE / "messaging" / "contracts.py"
    text = path.read_text(encoding="utf-8")
    text = text.replace("from chassis import Contract", "from datetime import datetime\n\n" + (
        "from chassis import Contract"
    ))  # fmt: skip
    path.write_text(text + OWNER_CONTRACT, encoding="utf-8")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the workspace with the owner and the consumer generated, not yet subscribed."""
    repo = copy_repo(tmp_path_factory.mktemp("subscribe") / "repo")
    for name in (OWNER, CONSUMER):
        completed = mkservice(repo, "new", name, "--no-install")
        assert completed.returncode == 0, completed.stderr
    _owner_with_a_nested_contract(repo)
    return repo


@pytest.fixture(scope="module")
def subscribed(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A copy of ``generated`` after ``mkservice subscribe CONSUMER TYPE --json``."""
    repo = Path(shutil.copytree(generated, tmp_path_factory.mktemp("subscribed") / "repo"))
    summary = mkservice_json(repo, "subscribe", CONSUMER, TYPE)
    return repo, summary


def _service(repo: Path) -> Path:
    return repo / "services" / CONSUMER


def _source(repo: Path, module: str) -> str:
    return (_service(repo) / "src" / PACKAGE / module).read_text(encoding="utf-8")


def test_reports_the_files_it_wrote(subscribed: tuple[Path, dict]) -> None:
    repo, summary = subscribed
    package = f"services/{CONSUMER}/src/{PACKAGE}"
    document = f"services/{CONSUMER}/contracts/asyncapi.yaml"
    assert summary["subject"] == SUBJECT
    assert summary["files"] == sorted(
        [
            "docker-compose.cluster.yml",
            "docker-compose.yml",
            f"services/{CONSUMER}/.mkservice.json",
            f"{package}/domain/commands.py",
            f"{package}/messaging/consumers.py",
            f"{package}/messaging/contracts.py",
            f"{package}/service_layer/handlers.py",
            f"services/{CONSUMER}/tests/integration/test_{OWNER_PACKAGE}_parcel_sent.py",
            # Its AsyncAPI document, built again, when services keep one (ADR 0027).
            *[document] * (repo / document).is_file(),
        ]
    )
    assert summary["notes"] == []


def test_copies_the_contract_with_its_nested_model_and_imports(
    subscribed: tuple[Path, dict],
) -> None:
    repo, _ = subscribed
    text = _source(repo, "messaging/contracts.py")
    section = text.index(f"# --- copied from {OWNER} ")
    assert text.index("class ItemCreatedV1") < section  # its own contract stays where it was
    copied = text[section:]
    assert copied.index("class ParcelLineV1") < copied.index("class ParcelSentV1")
    assert copied.index("class ParcelSentV1") < copied.index("PARCEL_SENT = Contract(")
    module = ast.parse(text)
    imports = [ast.unparse(node) for node in module.body if isinstance(node, ast.ImportFrom)]
    assert "from datetime import datetime" in imports
    assert f'PARCEL_SENT = Contract(\n    "{SUBJECT}",\n    "{TYPE}",' in copied
    assert OWNER_PACKAGE not in "".join(imports)  # copied, never imported (ADR 0008)


def test_routes_it_through_a_durable_consumer_to_a_handler_stub(
    subscribed: tuple[Path, dict],
) -> None:
    repo, _ = subscribed
    consumers = _source(repo, "messaging/consumers.py")
    assert f'"{OWNER}-parcel-sent"' in consumers
    assert "on(contracts.PARCEL_SENT, on_parcel_sent)" in consumers
    assert "on(contracts.ITEM_CREATED, on_item_created)" in consumers  # the example kept
    [function] = [
        node
        for node in ast.parse(consumers).body
        if isinstance(node, ast.FunctionDef) and node.name == "subscriptions"
    ]
    assert isinstance(function.body[-1], ast.Return)
    commands = _source(repo, "domain/commands.py")
    # The command carries the payload's plain fields; nested ones are the user's to map.
    assert "class HandleParcelSent:" in commands
    assert "    parcel_id: str\n    weight_grams: int\n    note: str\n" in commands
    handlers = _source(repo, "service_layer/handlers.py")
    assert "async def handle_parcel_sent(" in handlers
    assert "stub added by `mkservice subscribe`" in handlers


def test_grants_the_subject_and_renders_the_nats_users(subscribed: tuple[Path, dict]) -> None:
    repo, _ = subscribed
    record = json.loads((_service(repo) / ".mkservice.json").read_text(encoding="utf-8"))
    assert record["nats"] == {"calls": [], "consumes": [f"{CONSUMER}.>", SUBJECT]}
    check = mkservice(repo, "nats-users", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    for file in ("docker-compose.yml", "docker-compose.cluster.yml"):
        config = yaml.safe_load((repo / file).read_text())["configs"]["nats-users"]["content"]
        mine = config[config.index(f'user: "{CONSUMER}"') :]
        mine = mine[: mine.find("{ user:", 1)]
        assert f'"{SUBJECT}"' in mine, file
        assert "$$JS.API.CONSUMER.CREATE.ZZ_PROBE_SUB_OWNER.*" in mine, file


def test_the_new_code_is_lint_clean(subscribed: tuple[Path, dict]) -> None:
    repo, _ = subscribed
    ruff = str(Path(sys.executable).parent / "ruff")
    for command in (["check"], ["format", "--check"]):
        completed = subprocess.run(
            [ruff, *command, "--no-cache", f"services/{CONSUMER}"],
            cwd=repo,
            capture_output=True,
            text=True,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_consumers_own_tests_pass(subscribed: tuple[Path, dict]) -> None:
    repo, _ = subscribed
    service = _service(repo)
    source = str(service / "src")
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(repo / "pyproject.toml"),
         "--rootdir", str(service), str(service), "-v"],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    # Its own suite, the new test among it: the stub ran once, and not for the duplicate.
    assert "test_handles_zz_probe_sub_owner_parcel_sent_once PASSED" in completed.stdout


@pytest.mark.parametrize(
    ("consumer", "message_type", "says"),
    [
        ("zz-nobody-here", TYPE, "There is no service 'zz-nobody-here' to subscribe"),
        (CONSUMER, "zz-no-owner.parcel-sent", "There is no service 'zz-no-owner' to subscribe to"),
        (CONSUMER, f"{OWNER}.parcel-lost", f"{OWNER} owns no message type"),
        (CONSUMER, "parcel-sent", "is not a message type"),
        (CONSUMER, TYPE, "Already subscribed: "),
        # Its own ITEM_CREATED is not the owner's: a clash, not a copy.
        (CONSUMER, f"{OWNER}.item-created", "already defines ITEM_CREATED"),
    ],
)
def test_refuses_with_one_sentence_and_writes_nothing(
    subscribed: tuple[Path, dict], consumer: str, message_type: str, says: str
) -> None:
    repo, _ = subscribed
    before = snapshot(repo)

    refused = mkservice(repo, "subscribe", consumer, message_type)

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert says in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert snapshot(repo) == before


def test_refuses_a_consumers_module_of_another_shape(generated: Path, tmp_path: Path) -> None:
    repo = Path(shutil.copytree(generated, tmp_path / "repo"))
    consumers = _service(repo) / "src" / PACKAGE / "messaging" / "consumers.py"
    text = consumers.read_text(encoding="utf-8")
    consumers.write_text(text.replace("    return [", "    found = [") + "    return found\n")
    before = snapshot(repo)

    refused = mkservice(repo, "subscribe", CONSUMER, TYPE)

    assert refused.returncode == 2
    assert "does not end in `return [...]`: add by hand a route for PARCEL_SENT" in refused.stderr
    assert snapshot(repo) == before


def test_a_failed_write_puts_every_file_back(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = Path(shutil.copytree(generated, tmp_path / "repo"))
    before = snapshot(repo)
    plan = plan_subscription(repo, CONSUMER, TYPE)
    assert snapshot(repo) == before  # planning writes nothing
    written: list[Path] = []
    real = subscription.write_atomically

    def fails_at_the_fourth(path: Path, content: str | bytes, **options: object) -> None:
        if len(written) == 3:
            raise KeyboardInterrupt  # as Ctrl-C would, halfway
        written.append(path)
        real(path, content)

    monkeypatch.setattr(subscription, "write_atomically", fails_at_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        apply_subscription(plan)

    assert len(written) == 3
    assert snapshot(repo) == before


def test_a_second_subscription_to_the_owner_joins_its_section(
    generated: Path, tmp_path: Path
) -> None:
    repo = Path(shutil.copytree(generated, tmp_path / "repo"))
    owner = repo / "services" / OWNER / "src" / OWNER_PACKAGE / "messaging" / "contracts.py"
    owner.write_text(
        owner.read_text(encoding="utf-8")
        + "\n\nclass ParcelLostV1(BaseModel):\n    parcel_id: str\n    lines: list[ParcelLineV1]\n"
        + f'\n\nPARCEL_LOST = Contract(\n    "{OWNER}.evt.parcel-lost",\n'
        + f'    type="{OWNER}.parcel-lost",\n    model=ParcelLostV1,\n    version=1,\n)\n',
        encoding="utf-8",
    )
    for message_type in (TYPE, f"{OWNER}.parcel-lost"):
        completed = mkservice(repo, "subscribe", CONSUMER, message_type)
        assert completed.returncode == 0, completed.stderr

    text = _source(repo, "messaging/contracts.py")
    assert text.count(f"# --- copied from {OWNER} ") == 1
    assert text.count("class ParcelLineV1(") == 1  # the nested model, copied once and shared
    record = json.loads((_service(repo) / ".mkservice.json").read_text(encoding="utf-8"))
    assert record["nats"]["consumes"] == [f"{CONSUMER}.>", SUBJECT, f"{OWNER}.evt.parcel-lost"]
    ruff = str(Path(sys.executable).parent / "ruff")
    for command in (["check"], ["format", "--check"]):
        linted = subprocess.run([ruff, *command, "--no-cache", f"services/{CONSUMER}"],
                                cwd=repo, capture_output=True, text=True)  # fmt: skip
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_a_subject_its_grant_covers_is_not_added_again() -> None:
    assert covers("orders.evt.>", "orders.evt.order-confirmed")
    assert covers("orders.*.order-confirmed", "orders.evt.order-confirmed")
    assert not covers("orders.cmd.>", "orders.evt.order-confirmed")
    assert not covers("orders.evt", "orders.evt.order-confirmed")


def test_an_unknown_consumer_is_refused_in_process(generated: Path) -> None:
    with pytest.raises(Refused, match=r"^There is no service 'zz-absent' to subscribe"):
        plan_subscription(generated, "zz-absent", TYPE)
