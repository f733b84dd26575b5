"""``python -m payments migrate|serve``: run this service on its own."""

from chassis.service_cli import run_service_cli

from payments.bootstrap import MIGRATIONS_DIR
from payments.config import load
from payments.main import create_app


def main() -> None:
    run_service_cli(
        name="payments",
        load=load,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )


if __name__ == "__main__":
    main()
