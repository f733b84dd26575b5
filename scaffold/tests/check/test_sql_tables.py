"""Reading table names out of SQL with sqlglot."""

import pytest

from mkservice.check.sqltables import SqlTable, looks_like_query, tables_in_sql


def _names(sql: str) -> set[str]:
    tables = tables_in_sql(sql)
    assert tables is not None
    return {table.name for table in tables}


def test_reads_joined_and_nested_tables_but_not_ctes() -> None:
    sql = """
        WITH late AS (SELECT order_id FROM Shipment WHERE due < now())
        SELECT o.id FROM purchase_order o
        JOIN late ON late.order_id = o.id
        WHERE o.customer_id IN (SELECT id FROM public.customer)
    """

    assert _names(sql) == {"shipment", "purchase_order", "customer"}


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO payment (id) VALUES (%(id)s)",
        "UPDATE payment SET total = :total WHERE id = :id",
        "DELETE FROM payment WHERE id = ?",
        "SELECT * FROM payment WHERE id = $1",
    ],
)
def test_reads_statements_with_any_parameter_style(sql: str) -> None:
    assert _names(sql) == {"payment"}


def test_tells_created_tables_from_indexes_and_used_tables() -> None:
    assert tables_in_sql("CREATE TABLE refund (id INT REFERENCES payment (id))") == [
        SqlTable("refund", created=True),
        SqlTable("payment"),
    ]
    assert tables_in_sql("ALTER TABLE refund RENAME TO payment_refund") == [
        SqlTable("refund"),
        SqlTable("payment_refund", created=True),
    ]
    assert tables_in_sql("DROP INDEX ix_refund") == []
    assert tables_in_sql("CREATE INDEX ix_refund ON refund (id)") == [SqlTable("refund")]


def test_prose_does_not_parse() -> None:
    assert tables_in_sql("Select the plan that suits you best") is None
    assert tables_in_sql("With great power comes great responsibility") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  select 1", True),
        ("\nWITH x AS (SELECT 1) SELECT * FROM x", True),
        ("DELETE", True),
        ("selection of items", False),
        ("updates are pending", False),
        ("CREATE TABLE x (id INT)", False),
    ],
)
def test_only_strings_starting_with_a_query_keyword_look_like_queries(
    text: str, expected: bool
) -> None:
    assert looks_like_query(text) is expected
