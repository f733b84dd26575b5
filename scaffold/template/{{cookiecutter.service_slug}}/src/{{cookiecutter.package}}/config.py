"""Settings of {{ cookiecutter.service_slug }}.

Each is read from the environment variable
{{ cookiecutter.package.upper() }}_<NAME>,
the prefix following from ``service_name``. The port is not set here: the stack sets
{{ cookiecutter.package.upper() }}_PORT
from the record ``[tool.mkservice]`` in pyproject.toml.
"""

from typing import ClassVar

from chassis import ServiceSettings, load_settings


class {{ cookiecutter.class_prefix }}Settings(ServiceSettings):
    """Everything ServiceSettings reads, plus what this service adds."""

    service_name: ClassVar[str] = "{{ cookiecutter.service_slug }}"


def load() -> {{ cookiecutter.class_prefix }}Settings:
    """Settings from the environment; a bad value raises ConfigError naming the variable."""
    return load_settings({{ cookiecutter.class_prefix }}Settings)
