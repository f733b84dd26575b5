"""Alembic's entry point for {{ cookiecutter.service_slug }}.

Its own metadata, its own database.
"""

from chassis.migrations import run_env

from {{ cookiecutter.package }}.adapters.tables import {{ cookiecutter.class_prefix }}Base

run_env({{ cookiecutter.class_prefix }}Base.metadata)
