"""Check 4: no service imports another service's package, directly or through a shared module.

Every form counts: ``import x``, ``from x.y import z``, ``importlib.import_module("x")``,
``__import__("x")`` and ``pytest_plugins``. The chassis, the service's own package, the standard
library and third-party packages are fine. A repo-local module outside ``platform/`` that itself
imports a service package couples every service that imports it (checked one level deep).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mkservice.check.discovery import Service
from mkservice.check.localmodules import find_local_modules
from mkservice.check.pysource import called_name, parse_python, python_files, relative, string_value
from mkservice.check.results import CheckResult, Finding, sorted_findings


@dataclass(frozen=True)
class ImportRef:
    """One import statement (or call) and the module it brings in."""

    module: str
    file: Path
    line: int

    @property
    def top(self) -> str:
        return self.module.split(".")[0]


def imports_in_file(path: Path) -> list[ImportRef]:
    """Every absolute import in ``path``, static or dynamic."""
    tree = parse_python(path)
    return [] if tree is None else list(_imports(tree, path))


def _imports(tree: ast.Module, path: Path) -> Iterator[ImportRef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportRef(alias.name, path, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield ImportRef(node.module, path, node.lineno)
        elif isinstance(node, ast.Call) and called_name(node) in {"import_module", "__import__"}:
            name = string_value(node.args[0]) if node.args else None
            if name and not name.startswith("."):
                yield ImportRef(name, path, node.lineno)
        elif isinstance(node, ast.Assign) and _assigns(node, "pytest_plugins"):
            plugins = node.value
            for item in plugins.elts if isinstance(plugins, ast.List | ast.Tuple) else [plugins]:
                if name := string_value(item):
                    yield ImportRef(name, path, item.lineno)


def _assigns(node: ast.Assign, name: str) -> bool:
    return any(isinstance(target, ast.Name) and target.id == name for target in node.targets)


def service_files(service: Service) -> list[Path]:
    """The files check 4 reads: the service's src/, tests/ and migrations/."""
    return python_files([service.src, service.tests, service.migrations])


def check_interface_coupling(repo: Path, services: Sequence[Service]) -> CheckResult:
    """FAIL for each import of another service's package, or of a shared module that does."""
    owner_of = {service.package: service.name for service in services}
    shared = _shared_modules_importing_services(repo, owner_of)
    findings: list[Finding] = []
    for service in services:
        for ref in (ref for path in service_files(service) for ref in imports_in_file(path)):
            owner = owner_of.get(ref.top)
            if owner is not None and owner != service.name:
                findings.append(_direct(repo, service, ref, owner))
            for hop in shared.get(ref.top, ()):
                if owner_of[hop.top] != service.name:
                    findings.append(_through(repo, service, ref, hop, owner_of[hop.top]))
    return CheckResult(
        id="interface-coupling",
        name="Interface coupling",
        symptom="interface coupling",
        findings=sorted_findings(findings),
    )


def _shared_modules_importing_services(
    repo: Path, owner_of: Mapping[str, str]
) -> dict[str, list[ImportRef]]:
    """Repo-local module name -> its own imports of service packages."""
    shared: dict[str, list[ImportRef]] = {}
    for name, location in find_local_modules(repo).items():
        if name in owner_of:
            continue
        hops = [
            ref
            for path in python_files([location])
            for ref in imports_in_file(path)
            if ref.top in owner_of
        ]
        if hops:
            shared[name] = hops
    return shared


def _direct(repo: Path, service: Service, ref: ImportRef, owner: str) -> Finding:
    return Finding(
        file=relative(repo, ref.file),
        line=ref.line,
        services=(service.name, owner),
        detail=f"imports {ref.module}, the package of service {owner}",
    )


def _through(repo: Path, service: Service, ref: ImportRef, hop: ImportRef, owner: str) -> Finding:
    return Finding(
        file=relative(repo, ref.file),
        line=ref.line,
        services=(service.name, owner),
        detail=(
            f"imports {ref.module}, a shared module that imports {hop.module} of service {owner} "
            f"({relative(repo, hop.file)}:{hop.line})"
        ),
    )
