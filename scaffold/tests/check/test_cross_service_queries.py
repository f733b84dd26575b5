"""Check 3: SQL in a service's source names only that service's own tables."""

from pathlib import Path

import pytest
from planted import failing, planted_repo

REPORTS = "services/payments/src/payments/adapters/reports.py"


def _findings(tmp_path: Path, source: str) -> list[tuple[int, tuple[str, ...], str]]:
    repo = planted_repo(tmp_path)
    repo.write(REPORTS, source)
    report = repo.check()
    assert failing(report) in ([], ["cross-service-queries"])
    return [
        (f.line, f.services, f.detail)
        for f in report.check("cross-service-queries").findings
        if f.file == REPORTS
    ]


def test_a_join_of_own_and_foreign_tables_is_a_cross_service_join(tmp_path: Path) -> None:
    source = '''\
        from sqlalchemy import text


        def unpaid(session):
            return session.execute(
                text(
                    """
                    SELECT o.id FROM purchase_order AS o
                    LEFT JOIN payment AS p ON p.order_id = o.id
                    WHERE p.id IS NULL
                    """
                )
            )
        '''

    [(line, services, detail)] = _findings(tmp_path, source)

    assert (line, services) == (7, ("payments", "orders"))
    assert detail.startswith("cross-service join")
    assert "purchase_order (owned by orders)" in detail
    assert "payment" in detail


@pytest.mark.parametrize(
    "statement",
    [
        'connection.exec_driver_sql("select total from purchase_order")',
        'session.execute("UPDATE orderline SET order_id = 1")',
        'QUERY = "  DELETE FROM purchase_order WHERE id = ?"',
        'QUERY = f"INSERT INTO orderline (id) VALUES ({value})"',
        'QUERY = "WITH recent AS (SELECT * FROM purchase_order) " + "SELECT * FROM recent"',
        'orders = sa.table("purchase_order", sa.column("id"))',
    ],
)
def test_fails_on_any_sql_naming_a_foreign_table(tmp_path: Path, statement: str) -> None:
    source = f"import sqlalchemy as sa\n\nvalue = 1\n{statement}\n"

    [(line, services, detail)] = _findings(tmp_path, source)

    assert (line, services) == (4, ("payments", "orders"))
    assert "owned by orders" in detail
    assert not detail.startswith("cross-service join")


def test_cte_names_are_not_tables(tmp_path: Path) -> None:
    source = '''\
        QUERY = """
        WITH purchase_order AS (SELECT id FROM payment)
        SELECT * FROM purchase_order
        """
        '''

    assert _findings(tmp_path, source) == []


def test_prose_and_docstrings_are_not_sql(tmp_path: Path) -> None:
    source = '''\
        """Select from purchase_order: notes on how orders are paid."""


        def explain() -> str:
            """Delete from purchase_order is what orders does, not us."""
            return "Update your card. With purchase_order we never talk directly."
        '''

    assert _findings(tmp_path, source) == []


def test_own_tables_and_chassis_tables_are_fine(tmp_path: Path) -> None:
    source = """\
        from sqlalchemy import text

        PENDING = text("SELECT count(*) FROM outbox_message WHERE delivered_at IS NULL")
        MINE = text("SELECT p.id FROM payment p JOIN processed_message m ON m.message_id = p.id")
        """

    assert _findings(tmp_path, source) == []
