"""Run this service on its own.

``python -m {{ cookiecutter.package }} migrate|serve``
"""

from chassis.service_cli import run_service_cli

from {{ cookiecutter.package }}.bootstrap import MIGRATIONS_DIR
from {{ cookiecutter.package }}.config import load
from {{ cookiecutter.package }}.main import create_app


def main() -> None:
    run_service_cli(
        name="{{ cookiecutter.package }}",
        load=load,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )


if __name__ == "__main__":
    main()
