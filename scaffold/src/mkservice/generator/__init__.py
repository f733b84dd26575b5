"""``mkservice new``, ``remove`` and ``list``: names, the port registry, rendering the template,
registration in docker-compose.yml and uv.lock, and the atomic apply and undo.

Nothing here imports SQLAlchemy or FastAPI, and cookiecutter only when rendering, so the
commands start fast.
"""

from mkservice.generator.errors import GenerationFailed, Refused
from mkservice.generator.generate import Outcome, Plan, create_service, plan_service
from mkservice.generator.migration_heads import migration_heads
from mkservice.generator.naming import ServiceNames, derive_names, validate_name
from mkservice.record import RegisteredService, read_registry

__all__ = [
    "GenerationFailed",
    "Outcome",
    "Plan",
    "RegisteredService",
    "Refused",
    "ServiceNames",
    "create_service",
    "derive_names",
    "migration_heads",
    "plan_service",
    "read_registry",
    "validate_name",
]
