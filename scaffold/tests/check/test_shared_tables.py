"""Check 1: every table is defined by exactly one service."""

from pathlib import Path

from planted import CHECK_IDS, failing, planted_repo

from mkservice.check import Finding


def test_a_clean_workspace_passes_every_check(tmp_path: Path) -> None:
    report = planted_repo(tmp_path).check()

    assert report.ok
    assert [check.id for check in report.checks] == list(CHECK_IDS)


def test_fails_at_both_definitions_when_two_services_define_one_table(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/payments/src/payments/adapters/order_copy.py",
        """\
        from payments.adapters.tables import PaymentsBase


        class OrderCopy(PaymentsBase, table=True):
            __tablename__ = "purchase_order"
        """,
    )

    report = repo.check()

    assert failing(report) == ["shared-tables"]
    findings = report.check("shared-tables").findings
    assert [(f.file, f.line, f.services) for f in findings] == [
        ("services/orders/src/orders/adapters/tables.py", 9, ("orders", "payments")),
        ("services/payments/src/payments/adapters/order_copy.py", 4, ("orders", "payments")),
    ]
    assert "table purchase_order" in findings[0].detail
    assert (
        "payments (services/payments/src/payments/adapters/order_copy.py:4)" in findings[0].detail
    )


def test_names_a_table_after_its_class_as_sqlmodel_does(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/payments/src/payments/adapters/lines.py",
        """\
        from payments.adapters.tables import PaymentsBase


        class OrderLine(PaymentsBase, table=True):
            pass
        """,
    )

    findings = repo.check().check("shared-tables").findings

    assert _where(findings) == [
        ("services/orders/src/orders/adapters/tables.py", 15),
        ("services/payments/src/payments/adapters/lines.py", 4),
    ]
    assert all("table orderline" in f.detail for f in findings)


def test_finds_core_table_calls_and_declarative_classes(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/orders/src/orders/adapters/core.py",
        """\
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase

        metadata = sa.MetaData()
        payments = sa.Table("payment", metadata, sa.Column("id", sa.Integer))


        class Base(DeclarativeBase):
            pass


        class Legacy(Base):
            __tablename__ = "PAYMENT"
        """,
    )

    findings = repo.check().check("shared-tables").findings

    assert _where(findings) == [
        ("services/orders/src/orders/adapters/core.py", 5),
        ("services/orders/src/orders/adapters/core.py", 12),
        ("services/payments/src/payments/adapters/tables.py", 9),
    ]


def test_the_chassis_tables_may_be_defined_by_every_service(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    for name in ("orders", "payments"):
        repo.write(
            f"services/{name}/src/{name}/adapters/messaging_tables.py",
            """\
            import sqlalchemy as sa

            metadata = sa.MetaData()
            outbox = sa.Table("outbox_message", metadata, sa.Column("seq", sa.Integer))
            inbox = sa.Table("processed_message", metadata, sa.Column("id", sa.Integer))
            """,
        )

    assert repo.check().ok


def test_a_table_only_migrations_create_counts_as_defined_by_them(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    for name in ("orders", "payments"):
        repo.write(
            f"services/{name}/migrations/versions/0002_audit.py",
            """\
            from alembic import op


            def upgrade() -> None:
                op.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY)")
            """,
        )

    report = repo.check()

    assert failing(report) == ["shared-tables"]
    assert _where(report.check("shared-tables").findings) == [
        ("services/orders/migrations/versions/0002_audit.py", 5),
        ("services/payments/migrations/versions/0002_audit.py", 5),
    ]


def test_rich_tables_and_other_table_calls_are_not_definitions(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/orders/src/orders/cli.py",
        """\
        from rich.table import Table

        summary = Table("payment", "amount")
        title_only = Table("payment")
        """,
    )

    assert repo.check().ok


def _where(findings: tuple[Finding, ...]) -> list[tuple[str, int]]:
    return [(finding.file, finding.line) for finding in findings]
