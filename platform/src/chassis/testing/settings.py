"""Checking a service's settings: every number bounded, every bad value refused by name.

``bad_values(SettingsClass)`` lists, for each numeric setting, a value below and a value above its
bounds; ``assert_refused_by_name`` loads the settings with each of them in the environment and
checks that loading fails with a :class:`chassis.ConfigError` naming that variable. Every service's
``tests/unit/test_config.py`` runs both over its own settings class.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from chassis.settings import ConfigError, ServiceSettings, load_settings

NUMBERS = (int, float)


def _numeric_kind(annotation: Any) -> type | None:
    """int or float for a number (or a tuple of numbers), else None."""
    if annotation in NUMBERS:
        return annotation  # type: ignore[no-any-return]
    if get_origin(annotation) is tuple:
        inner = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        if inner and all(arg in NUMBERS for arg in inner):
            return inner[0]  # type: ignore[no-any-return]
    return None


def numeric_settings(settings_class: type[ServiceSettings]) -> dict[str, type]:
    """Every numeric setting of ``settings_class`` (tuples of numbers included), by field name."""
    found = {}
    for name, field in settings_class.model_fields.items():
        kind = _numeric_kind(field.annotation)
        if kind is not None:
            found[name] = kind
    return found


def bounds(settings_class: type[ServiceSettings], name: str) -> tuple[float | None, float | None]:
    """The (lower, upper) bounds declared on a scalar setting, None where there is none."""
    lower = upper = None
    for item in settings_class.model_fields[name].metadata:
        if isinstance(item, Ge | Gt):
            lower = float(item.ge if isinstance(item, Ge) else item.gt)  # type: ignore[arg-type]
        if isinstance(item, Le | Lt):
            upper = float(item.le if isinstance(item, Le) else item.lt)  # type: ignore[arg-type]
    return lower, upper


def bad_values(settings_class: type[ServiceSettings]) -> list[tuple[str, str]]:
    """(setting, raw environment value) pairs that must each be refused."""
    cases = []
    for name, kind in numeric_settings(settings_class).items():
        annotation = settings_class.model_fields[name].annotation
        if get_origin(annotation) is tuple:
            cases += [(name, "[-1]"), (name, "[1e12]")]
            continue
        lower, upper = bounds(settings_class, name)
        if lower is None or upper is None:
            raise AssertionError(f"{settings_class.__name__}.{name} needs a lower and upper bound")
        step = 1 if kind is int else 0.5
        for value in (lower - step, upper + step):
            cases.append((name, str(int(value)) if kind is int else str(value)))
    cases += [(name, "not-a-number") for name in numeric_settings(settings_class)]
    return cases


@contextmanager
def _environment(variable: str, value: str) -> Iterator[None]:
    before = os.environ.get(variable)
    os.environ[variable] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[variable]
        else:
            os.environ[variable] = before


def assert_refused_by_name(settings_class: type[ServiceSettings], setting: str, value: str) -> None:
    """Loading ``settings_class`` with ``<PREFIX><SETTING>=value`` fails, naming the variable."""
    variable = f"{settings_class.model_config.get('env_prefix', '')}{setting}".upper()
    with _environment(variable, value):
        try:
            load_settings(settings_class)
        except ConfigError as error:
            assert variable in str(error), f"{variable}={value} refused without naming it: {error}"
            return
    raise AssertionError(f"{variable}={value} was accepted")
