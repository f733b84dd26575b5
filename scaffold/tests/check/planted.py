"""Small workspaces on disk, clean or with one boundary violation planted in them.

The clean one has two services: ``orders`` (tables ``purchase_order`` and ``orderline``) and
``payments`` (table ``payment``), each with its own SQLite file, migrations and SQL.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from mkservice.check import Report, run_static_checks

CHECK_IDS = (
    "shared-tables",
    "schema-coupling",
    "cross-service-queries",
    "interface-coupling",
    "shared-databases",
    "contract-compatibility",
    "merge-conflicts",
)

_TABLES = {
    "orders": """\
        from sqlalchemy.orm import registry
        from sqlmodel import Field, SQLModel


        class OrdersBase(SQLModel, registry=registry()):
            pass


        class PurchaseOrder(OrdersBase, table=True):
            __tablename__ = "purchase_order"
            id: int | None = Field(default=None, primary_key=True)
            total: int = 0


        class OrderLine(OrdersBase, table=True):
            id: int | None = Field(default=None, primary_key=True)
            order_id: int = Field(foreign_key="purchase_order.id")
        """,
    "payments": """\
        from sqlalchemy.orm import registry
        from sqlmodel import Field, SQLModel


        class PaymentsBase(SQLModel, registry=registry()):
            pass


        class Payment(PaymentsBase, table=True):
            id: int | None = Field(default=None, primary_key=True)
            order_id: int
        """,
}

_MIGRATION = '''\
    """Initial tables of {name}."""

    import sqlalchemy as sa
    from alembic import op

    revision = "0001"
    down_revision = None


    def upgrade() -> None:
        {creates}
        op.create_table("outbox_message", sa.Column("seq", sa.Integer(), primary_key=True))
        op.create_table("processed_message", sa.Column("consumer", sa.String(), primary_key=True))


    def downgrade() -> None:
        op.drop_table("processed_message")
        op.drop_table("outbox_message")
    '''

_REPOSITORY = '''\
    """Reads of {name}'s own tables."""

    from sqlalchemy import text

    FIND = text("SELECT id FROM {table} WHERE id = :id")


    def describe() -> str:
        """Select the best row for the caller."""
        return "Select a {table} to continue"
    '''


class PlantedRepo:
    """A workspace under ``root`` that tests grow file by file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write("pyproject.toml", '[tool.uv.workspace]\nmembers = ["services/*"]\n')
        (root / "services").mkdir(exist_ok=True)

    def write(self, relative: str, text: str) -> Path:
        """Write ``text`` (dedented) to ``relative`` under the root, making folders."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def add_service(self, name: str, tables: tuple[str, ...], *, pyproject: bool = True) -> None:
        """A service with the conventional layout, owning ``tables``."""
        package = name.replace("-", "_")
        base = f"services/{name}"
        port = 8001 + len(list((self.root / "services").glob("*/pyproject.toml")))
        if pyproject:
            self.write(
                f"{base}/pyproject.toml",
                f"""\
                [project]
                name = "{name}"

                [tool.mkservice]
                service = "{name}"
                package = "{package}"
                port = {port}
                """,
            )
        self.write(f"{base}/src/{package}/__init__.py", f'"""The {name} service."""\n')
        self.write(f"{base}/src/{package}/adapters/__init__.py", "")
        self.write(f"{base}/src/{package}/adapters/tables.py", _TABLES.get(name, ""))
        self.write(
            f"{base}/src/{package}/adapters/repository.py",
            _REPOSITORY.format(name=name, table=tables[0]),
        )
        self.write(f"{base}/src/{package}/config.py", _config(name, package))
        creates = "\n        ".join(
            f'op.create_table("{table}", sa.Column("id", sa.Integer(), primary_key=True))'
            for table in tables
        )
        self.write(
            f"{base}/migrations/versions/0001_initial.py",
            _MIGRATION.format(name=name, creates=creates),
        )
        self.write(
            f"{base}/tests/test_smoke.py",
            f"import chassis\nimport pytest\n\nfrom {package}.config import Settings\n",
        )

    def check(self) -> Report:
        """Run the static checks over this workspace."""
        return run_static_checks(self.root)


def _config(name: str, package: str) -> str:
    return f'''\
        """Settings of {name}."""

        from typing import ClassVar

        from chassis.settings import ServiceSettings, service_config


        class Settings(ServiceSettings):
            model_config = service_config("{package.upper()}_")
            service_name: ClassVar[str] = "{name}"
            database_url: str = "sqlite+aiosqlite:///./.data/{name}.db"
        '''


def planted_repo(root: Path) -> PlantedRepo:
    """The clean two-service workspace under ``root``."""
    repo = PlantedRepo(root)
    repo.add_service("orders", ("purchase_order", "orderline"))
    repo.add_service("payments", ("payment",))
    return repo


def failing(report: Report) -> list[str]:
    """The ids of the checks that failed."""
    return [check.id for check in report.checks if not check.passed]
