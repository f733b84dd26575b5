"""The committed AsyncAPI document of a service, for the test that compares it with what the
service serves (a stale document fails it: ``mkservice contracts`` writes it again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chassis.asyncapi import DOCUMENT_PATH


def committed_asyncapi(service_root: Path) -> Any:
    """``service_root/contracts/asyncapi.yaml`` as plain data (``None`` when it is missing)."""
    from ruamel.yaml import YAML

    path = service_root / DOCUMENT_PATH
    if not path.is_file():
        return None
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
