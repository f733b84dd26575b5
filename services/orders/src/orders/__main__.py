"""``python -m orders migrate|serve``: run this service on its own."""

from chassis.service_cli import run_service_cli

from orders.bootstrap import MIGRATIONS_DIR
from orders.config import load
from orders.main import create_app


def main() -> None:
    run_service_cli(
        name="orders",
        load=load,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )


if __name__ == "__main__":
    main()
