"""``python -m inventory migrate|serve|seed``: run this service on its own."""

from chassis.migrations import current_revision, head_revision
from chassis.service_cli import run_service_cli

from inventory.bootstrap import MIGRATIONS_DIR, bootstrap
from inventory.config import InventorySettings, load
from inventory.main import create_app
from inventory.service_layer.seed import CATALOGUE, seed_catalogue


async def seed(settings: InventorySettings) -> None:
    """Load the demo catalogue into the configured (already migrated) database."""
    service = bootstrap(settings)
    try:
        if await current_revision(service.runtime.database.engine) != head_revision(MIGRATIONS_DIR):
            raise SystemExit(
                "inventory: the database is not migrated; run `python -m inventory migrate` first"
            )
        async with service.unit_of_work() as uow:
            added = await seed_catalogue(uow)
    finally:
        await service.runtime.database.dispose()
    present = len(CATALOGUE) - len(added)
    print(f"inventory: seeded {', '.join(added) or 'nothing'}; {present} already present")


def main(argv: list[str] | None = None) -> None:
    """Run the command in ``argv`` (default: the process's arguments)."""
    run_service_cli(
        name="inventory",
        load=load,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
        extra={"seed": ("load the demo catalogue (idempotent; see README)", seed)},
        argv=argv,
    )


if __name__ == "__main__":
    main()
