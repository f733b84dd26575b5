"""Check 4: no service imports another service's package, directly or through a shared module."""

from pathlib import Path

import pytest
from planted import failing, planted_repo


@pytest.mark.parametrize(
    ("where", "statement"),
    [
        ("src/payments/service_layer/handlers.py", "import orders"),
        ("src/payments/service_layer/handlers.py", "import orders.domain.model as order_model"),
        ("src/payments/service_layer/handlers.py", "from orders.adapters.tables import Order"),
        ("src/payments/service_layer/handlers.py", 'x = importlib.import_module("orders.api")'),
        ("src/payments/service_layer/handlers.py", 'x = __import__("orders")'),
        ("tests/conftest.py", 'pytest_plugins = ["orders.testing"]'),
        ("tests/unit/test_handlers.py", "from orders.config import Settings"),
        ("migrations/versions/0002_copy.py", "from orders.adapters import tables"),
    ],
)
def test_fails_on_any_import_of_another_services_package(
    tmp_path: Path, where: str, statement: str
) -> None:
    repo = planted_repo(tmp_path)
    repo.write(f"services/payments/{where}", f"import importlib\n\n{statement}\n")

    report = repo.check()

    findings = report.check("interface-coupling").findings
    assert [(f.file, f.line, f.services) for f in findings] == [
        (f"services/payments/{where}", 3, ("payments", "orders"))
    ]
    assert "package of service orders" in findings[0].detail
    assert failing(report) == ["interface-coupling"]


def test_fails_on_a_shared_module_that_imports_a_service(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write("common/__init__.py", '"""Shared helpers."""\n\nfrom orders.domain import Money\n')
    repo.write("services/payments/src/payments/money.py", "from common import Money\n")
    repo.write("services/orders/src/orders/money.py", "from common import Money\n")

    findings = repo.check().check("interface-coupling").findings

    assert [(f.file, f.line, f.services) for f in findings] == [
        ("services/payments/src/payments/money.py", 1, ("payments", "orders"))
    ]
    assert "common/__init__.py:3" in findings[0].detail


def test_finds_shared_modules_in_a_libs_folder(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write("libs/util/src/shop_util/__init__.py", "import payments.api\n")
    repo.write("services/orders/tests/test_util.py", "\nimport shop_util\n")

    findings = repo.check().check("interface-coupling").findings

    assert [(f.file, f.line, f.services) for f in findings] == [
        ("services/orders/tests/test_util.py", 2, ("orders", "payments"))
    ]


def test_chassis_own_package_stdlib_and_third_party_are_fine(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/payments/src/payments/service_layer/handlers.py",
        """\
        import json
        from importlib import import_module

        import chassis
        import sqlalchemy
        from chassis.settings import ServiceSettings

        from payments.adapters import tables
        from . import helpers

        plugin = import_module(".helpers", package="payments.service_layer")
        """,
    )
    repo.write("shared_fixtures/__init__.py", "import chassis\n")
    repo.write("services/payments/tests/test_x.py", "import shared_fixtures\n")

    assert repo.check().ok
