"""Rendering the cookiecutter template into a temporary folder, then tidying the result.

We drive cookiecutter's own pipeline (``generate_context``, ``prompt_for_config`` with
``no_input``, ``generate_files``: what ``cookiecutter.main.cookiecutter`` does) rather than the
``cookiecutter()`` wrapper, because the wrapper also reads the user's ``~/.cookiecutterrc``
(whose defaults would make output depend on who runs it) and writes a replay file into the
user's home folder. Our replay file is ``.mkservice.json``, inside the service: the provenance of
the generation (the template, its version, the inputs that cannot be derived) and the service's
NATS grant. The facts mkservice reads about a service (its name, package, port) live only in its
record, ``[tool.mkservice]`` (:mod:`mkservice.record`), which the template writes.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkservice.generator.errors import GenerationFailed
from mkservice.generator.naming import ServiceNames
from mkservice.generator.tools import find_ruff
from mkservice.stack.nats_auth import (
    NATS_SECTION,
    PROVENANCE_FILE,
    ServiceGrant,
    declaration,
    default_grant,
)

TEMPLATE_DIR = Path("scaffold") / "template"
# Inputs the provenance leaves out: the port is the record's, the version is recorded apart.
_NOT_PROVENANCE = {"port", "template_version"}


@dataclass(frozen=True)
class Template:
    """The template of a workspace: its folder and the version it declares."""

    path: Path
    version: str
    # The inputs whose default is an expression of others (the package, the class prefix): the
    # provenance records none of them, since they follow from the others.
    derived: frozenset[str] = frozenset()

    @classmethod
    def of(cls, root: Path) -> Template:
        path = root / TEMPLATE_DIR
        try:
            defaults = json.loads((path / "cookiecutter.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            message = f"cannot read the template's cookiecutter.json ({error})."
            raise GenerationFailed(message) from error
        derived = frozenset(
            key for key, value in defaults.items() if isinstance(value, str) and "{{" in value
        )
        return cls(path, str(defaults.get("template_version", "0")), derived)


def template_context(names: ServiceNames, port: int, template: Template) -> dict[str, str]:
    """The template inputs of a service (cookiecutter's ``extra_context``). The env prefix and
    the stream are not among them: the service derives them from its name (chassis.naming)."""
    return {
        "service_slug": names.slug,
        "package": names.package,
        "class_prefix": names.class_prefix,
        "port": str(port),
        "template_version": template.version,
    }


def planned_files(template: Template, names: ServiceNames) -> list[str]:
    """The paths (relative to the service folder) rendering would create."""
    project = next(template.path.glob("{{*}}"))
    found = []
    for path in sorted(project.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = str(path.relative_to(project))
            relative = relative.replace("{{cookiecutter.package}}", names.package)
            found.append(relative.replace("{{cookiecutter.service_slug}}", names.slug))
    from chassis.asyncapi import DOCUMENT_PATH  # written after rendering, from the contracts

    return sorted([*found, PROVENANCE_FILE, DOCUMENT_PATH.as_posix()])


def render(
    template: Template, context: dict[str, str], output_dir: Path, grant: ServiceGrant | None = None
) -> Path:
    """Render the template into ``output_dir``; return the new service folder. ``grant`` is what
    the service talks to over NATS (its record's ``nats`` section; by default its own subjects)."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_context, generate_files
    from cookiecutter.prompt import prompt_for_config

    try:
        full = generate_context(
            context_file=str(template.path / "cookiecutter.json"), extra_context=context
        )
        full["_cookiecutter"] = {
            key: value for key, value in full["cookiecutter"].items() if not key.startswith("_")
        }
        full["cookiecutter"].update(prompt_for_config(full, no_input=True))
        full["cookiecutter"].update(
            _template=str(template.path),
            _output_dir=str(output_dir),
            _repo_dir=str(template.path),
            _checkout=None,
        )
        project = generate_files(
            repo_dir=str(template.path), context=full, output_dir=str(output_dir)
        )
    except CookiecutterException as error:
        raise GenerationFailed(f"the template did not render ({error}).") from error
    folder = Path(project)
    grant = grant or default_grant(str(full["cookiecutter"]["service_slug"]))
    _write_provenance(folder, full["cookiecutter"], template, grant)
    return folder


def _write_provenance(
    folder: Path, context: dict[str, Any], template: Template, grant: ServiceGrant
) -> None:
    """What a future ``mkservice update`` needs to replay the template (the inputs that cannot
    be derived from others, minus secrets; the port it takes from the record), and what the
    service talks to over NATS (``mkservice.stack.nats_auth`` reads it from here)."""
    left_out = _NOT_PROVENANCE | template.derived
    inputs = {
        key: value
        for key, value in context.items()
        if not key.startswith("_") and key not in left_out
    }
    provenance = {
        "template": TEMPLATE_DIR.as_posix(),
        "template_version": template.version,
        "cookiecutter": inputs,
        NATS_SECTION: declaration(grant),
    }
    text = json.dumps(provenance, indent=2, sort_keys=True) + "\n"
    (folder / PROVENANCE_FILE).write_text(text, encoding="utf-8")


def tidy(folder: Path, names: ServiceNames, root: Path) -> list[str]:
    """Sort imports and format the rendered code, so it is lint-clean whatever the name (a long
    name can push a line past the limit). Returns notes when ruff is missing or unhappy."""
    ruff = find_ruff(root)
    if ruff is None:
        return ["ruff was not found, so the new code was not formatted"]
    # The package is first-party wherever the folder sits (ruff's `src` globs do not see the
    # temporary folder), so its imports sort exactly as they will under services/.
    first_party = f"lint.isort.known-first-party = [{json.dumps(names.package)}]"
    commands = [
        [ruff, "check", "--fix", "--select", "I", "--no-cache", "--quiet", "--config", first_party,
         "--exit-zero", str(folder)],
        [ruff, "format", "--no-cache", "--quiet", str(folder)],
    ]  # fmt: skip
    notes = []
    for command in commands:
        completed = subprocess.run(command, cwd=root, capture_output=True, text=True)
        if completed.returncode != 0:
            notes.append(f"`ruff {command[1]}` failed: {completed.stderr.strip()[:200]}")
    return notes
