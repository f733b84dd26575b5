"""Settings of {{ cookiecutter.service_slug }}.

Each is read from the environment variable {{ cookiecutter.env_prefix }}<NAME>.
"""

from typing import ClassVar

from chassis import ServiceSettings, load_settings, service_config


class {{ cookiecutter.class_prefix }}Settings(ServiceSettings):
    """Everything ServiceSettings reads, plus what this service adds."""

    model_config = service_config("{{ cookiecutter.env_prefix }}")
    service_name: ClassVar[str] = "{{ cookiecutter.service_slug }}"

    port: int = {{ cookiecutter.port }}


def load() -> {{ cookiecutter.class_prefix }}Settings:
    """Settings from the environment; a bad value raises ConfigError naming the variable."""
    return load_settings({{ cookiecutter.class_prefix }}Settings)
