"""Check 5: no two services default to or are configured with the same database or role."""

import json
from pathlib import Path

from planted import failing, planted_repo

from mkservice.check import Finding, report_json


def _where(findings: tuple[Finding, ...]) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(f.file, f.line, f.services) for f in findings]


def test_fails_when_two_config_defaults_name_one_sqlite_file(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    config = repo.root / "services/payments/src/payments/config.py"
    shared = f"sqlite:///{repo.root}/.data/orders.db"
    config.write_text(config.read_text().replace("sqlite+aiosqlite:///./.data/payments.db", shared))

    report = repo.check()

    assert failing(report) == ["shared-databases"]
    findings = report.check("shared-databases").findings
    assert _where(findings) == [
        ("services/orders/src/orders/config.py", 11, ("orders", "payments")),
        ("services/payments/src/payments/config.py", 11, ("orders", "payments")),
    ]
    assert "SQLite file .data/orders.db" in findings[0].detail


def test_fails_on_env_files_sharing_a_database_and_role_without_showing_passwords(
    tmp_path: Path,
) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/orders/.env",
        "# local settings\nORDERS_DATABASE_URL=postgresql+asyncpg://shop:s3cret@localhost:5432/shop\n",
    )
    repo.write(
        "services/payments/.env.example",
        'export PAYMENTS_DATABASE_URL="postgresql://shop:hunter2@127.0.0.1/shop"\n',
    )

    report = repo.check()

    findings = report.check("shared-databases").findings
    assert sorted({(f.file, f.line) for f in findings}) == [
        ("services/orders/.env", 2),
        ("services/payments/.env.example", 1),
    ]
    details = " ".join(f.detail for f in findings)
    assert "postgresql database localhost:5432/shop" in details
    assert "postgresql role shop@localhost:5432" in details
    assert "s3cret" not in report_json(report) and "hunter2" not in report_json(report)


def test_fails_on_one_role_used_by_two_services_on_one_server(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write("services/orders/.env", "ORDERS_DATABASE_URL=postgresql://app:x@db/orders\n")
    repo.write("services/payments/.env", "PAYMENTS_DATABASE_URL=postgresql://app:x@db/payments\n")

    findings = repo.check().check("shared-databases").findings

    assert _where(findings) == [
        ("services/orders/.env", 1, ("orders", "payments")),
        ("services/payments/.env", 1, ("orders", "payments")),
    ]
    assert all("same postgresql role app@db:5432" in f.detail for f in findings)


def test_reads_compose_environment_in_list_and_mapping_form(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "docker-compose.yml",
        """\
        services:
          orders:
            image: orders
            environment:
              - ORDERS_NATS_URL=nats://nats:4222
              - ORDERS_DATABASE_URL=postgresql+asyncpg://orders:pw@postgres:5432/shop
          payments:
            environment:
              PAYMENTS_DATABASE_URL: postgresql+asyncpg://payments:pw@postgres/shop
        """,
    )

    findings = repo.check().check("shared-databases").findings

    assert _where(findings) == [
        ("docker-compose.yml", 6, ("orders", "payments")),
        ("docker-compose.yml", 9, ("orders", "payments")),
    ]
    assert "postgresql database postgres:5432/shop" in findings[0].detail


def test_reads_postgres_containers_named_after_their_service(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "compose.yaml",
        """\
        services:
          orders-db:
            image: postgres:16
            environment:
              POSTGRES_USER: orders
              POSTGRES_PASSWORD: secret
              POSTGRES_DB: orders
          payments-db:
            image: postgres:16
          payments:
            environment:
              - PAYMENTS_DATABASE_URL=postgresql://orders:secret@orders-db:5432/orders
        """,
    )

    report = repo.check()

    findings = report.check("shared-databases").findings
    assert sorted({(f.file, f.line, f.services) for f in findings}) == [
        ("compose.yaml", 5, ("orders", "payments")),
        ("compose.yaml", 7, ("orders", "payments")),
        ("compose.yaml", 12, ("orders", "payments")),
    ]
    assert "secret" not in report_json(report)


def test_one_server_per_service_or_one_database_and_role_each_pass(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "docker-compose.yml",
        """\
        services:
          orders-db:
            environment: {POSTGRES_PASSWORD: pw}
          payments-db:
            environment: {POSTGRES_PASSWORD: pw}
          orders:
            environment:
              ORDERS_DATABASE_URL: postgresql://postgres:pw@orders-db/postgres
          payments:
            environment:
              PAYMENTS_DATABASE_URL: postgresql://postgres:pw@payments-db/postgres
        """,
    )
    repo.write("services/orders/.env", "ORDERS_DATABASE_URL=postgresql://orders@pg/orders\n")
    repo.write(
        "services/payments/.env", "PAYMENTS_DATABASE_URL=postgresql://payments@pg/payments\n"
    )

    assert repo.check().ok


def test_private_in_memory_databases_are_not_shared(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    for name in ("orders", "payments"):
        repo.write(f"services/{name}/.env", f"{name.upper()}_DATABASE_URL=sqlite:///:memory:\n")

    assert repo.check().ok


def test_the_chassis_default_follows_the_service_name(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    for name in ("orders", "payments"):
        config = repo.root / f"services/{name}/src/{name}/config.py"
        lines = config.read_text().splitlines()
        lines = [line for line in lines if "database_url" not in line]
        config.write_text("\n".join(lines).replace('"payments"', '"orders"') + "\n")

    report = repo.check()

    findings = report.check("shared-databases").findings
    assert _where(findings) == [
        ("services/orders/src/orders/config.py", 10, ("orders", "payments")),
        ("services/payments/src/payments/config.py", 10, ("orders", "payments")),
    ]
    assert json.loads(report_json(report))["ok"] is False


def test_an_environment_shared_through_a_yaml_anchor_is_shared(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "docker-compose.yml",
        """\
        x-database: &database
          DATABASE_URL: postgresql://shop:pw@postgres/shop
        services:
          orders:
            environment:
              <<: *database
          payments:
            environment:
              <<: *database
              PAYMENTS_NATS_URL: nats://nats:4222
        """,
    )

    findings = repo.check().check("shared-databases").findings

    assert {(f.file, f.line, f.services) for f in findings} == {
        ("docker-compose.yml", 2, ("orders", "payments"))
    }
