"""The consumer's AsyncAPI document after ``mkservice subscribe`` (ADR 0027), when the workspace
keeps one: ``mkservice contracts`` builds it from the contracts module's file, so the new text
is built from a copy of that module in a scratch folder, before anything is written."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mkservice.generator.errors import Refused


def document_after(
    name: str, folder: Path, package: str, contracts_text: str
) -> tuple[Path, str] | None:
    """The path and new text of the service's committed AsyncAPI document with
    ``contracts_text`` as its contracts module; ``None`` when it keeps no document (or this
    mkservice builds none)."""
    try:
        from mkservice.contracts import documents
    except ImportError:
        return None
    path = documents.document_path(folder)
    if not path.is_file():
        return None
    with tempfile.TemporaryDirectory(prefix="mkservice-subscribe-") as scratch:
        module = documents.contracts_module_path(Path(scratch), package)
        module.parent.mkdir(parents=True)
        module.write_text(contracts_text, encoding="utf-8")
        project = folder / "pyproject.toml"  # the document names the service's version
        if project.is_file():
            shutil.copyfile(project, Path(scratch) / project.name)
        try:
            document = documents.build_document(name, Path(scratch), package)
        except documents.ContractsUnreadable as error:
            raise Refused(
                f"The contracts module with the copy in it does not load ({error})."
            ) from None
    return path, documents.render_yaml(document)
