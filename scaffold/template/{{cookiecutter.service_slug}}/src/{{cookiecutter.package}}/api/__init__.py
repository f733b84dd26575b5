"""The HTTP API of {{ cookiecutter.service_slug }}."""
