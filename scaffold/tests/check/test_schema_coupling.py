"""Check 2: a service's migrations create, alter or drop only its own tables."""

from pathlib import Path

import pytest
from planted import failing, planted_repo

MIGRATION = "services/payments/migrations/versions/0002_touch.py"
_HEADER = '''\
"""A second revision of payments."""

import sqlalchemy as sa
from alembic import op


def upgrade() -> None:
'''


def _plant(tmp_path: Path, body: str) -> tuple[str, ...]:
    """Plant a payments migration whose upgrade() is ``body`` (from line 8 on); return the
    failing checks."""
    repo = planted_repo(tmp_path)
    (repo.root / MIGRATION).write_text(_HEADER + body, encoding="utf-8")
    return tuple(failing(repo.check()))


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('    op.add_column("purchase_order", sa.Column("paid", sa.Boolean()))\n', 8),
        ('    op.drop_column("purchase_order", "total")\n', 8),
        ('    op.alter_column("purchase_order", "total", new_column_name="amount")\n', 8),
        ('    op.drop_table("orderline")\n', 8),
        ('    op.create_index("ix_total", "purchase_order", ["total"])\n', 8),
        ('    op.drop_index("ix_total", table_name="purchase_order")\n', 8),
        ('    op.create_foreign_key("fk", "payment", "purchase_order", ["order_id"], ["id"])\n', 8),
        ('    op.rename_table("purchase_order", "old_order")\n', 8),
        ('    with op.batch_alter_table("purchase_order") as batch:\n        pass\n', 8),
        ('    op.execute("UPDATE purchase_order SET total = 0")\n', 8),
        ('    op.execute(sa.text("DELETE FROM orderline"))\n', 8),
        ('    op.get_bind().exec_driver_sql("DELETE FROM orderline")\n', 8),
        (
            '    op.create_table(\n        "refund",\n'
            '        sa.Column("order_id", sa.ForeignKey("purchase_order.id")),\n    )\n',
            10,
        ),
        (
            '    orders = sa.table("purchase_order", sa.column("id"))\n'
            '    op.bulk_insert(orders, [{"id": 1}])\n',
            8,
        ),
    ],
)
def test_fails_when_a_migration_touches_another_services_table(
    tmp_path: Path, body: str, line: int
) -> None:
    repo = planted_repo(tmp_path)
    (repo.root / MIGRATION).write_text(_HEADER + body, encoding="utf-8")

    report = repo.check()

    findings = report.check("schema-coupling").findings
    assert [(f.file, f.line, f.services) for f in findings] == [
        (MIGRATION, line, ("payments", "orders"))
    ]
    assert "owned by orders" in findings[0].detail
    assert failing(report) == ["schema-coupling"]


def test_fails_on_a_table_no_service_defines_or_creates(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    (repo.root / MIGRATION).write_text(
        _HEADER + '    op.add_column("legacy_ledger", sa.Column("x", sa.Integer()))\n',
        encoding="utf-8",
    )

    findings = repo.check().check("schema-coupling").findings

    assert [(f.line, f.services) for f in findings] == [(8, ("payments",))]
    assert "legacy_ledger" in findings[0].detail
    assert "defined by no service" in findings[0].detail


def test_tables_a_service_creates_in_its_own_migrations_are_its_own(tmp_path: Path) -> None:
    body = (
        '    op.create_table("refund", sa.Column("id", sa.Integer(), primary_key=True))\n'
        '    op.create_index("ix_refund", "refund", ["id"])\n'
        '    op.execute("CREATE VIEW refund_view AS SELECT * FROM refund")\n'
        '    op.execute("DROP VIEW refund_view")\n'
        '    op.execute("DROP INDEX ix_refund")\n'
        '    op.execute("UPDATE payment SET order_id = 0; DELETE FROM outbox_message")\n'
        '    op.rename_table("refund", "payment_refund")\n'
        '    op.drop_table("payment_refund")\n'
    )

    assert _plant(tmp_path, body) == ()


def test_a_table_created_by_another_services_migrations_belongs_to_it(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/orders/migrations/versions/0002_audit.py",
        """\
        from alembic import op


        def upgrade() -> None:
            op.execute("CREATE TABLE order_audit (id INTEGER PRIMARY KEY)")
        """,
    )
    (repo.root / MIGRATION).write_text(
        _HEADER + '    op.execute("INSERT INTO order_audit (id) VALUES (1)")\n', encoding="utf-8"
    )

    findings = repo.check().check("schema-coupling").findings

    assert [(f.file, f.line, f.services) for f in findings] == [
        (MIGRATION, 8, ("payments", "orders"))
    ]
