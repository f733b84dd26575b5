"""Persistence of {{ cookiecutter.service_slug }}: its own tables and repositories."""
