"""The domain of {{ cookiecutter.service_slug }}.

Plain Python: no web framework, no SQL.
"""

from {{ cookiecutter.package }}.domain.commands import CreateItem
from {{ cookiecutter.package }}.domain.model import InvalidItem, Item

__all__ = ["CreateItem", "InvalidItem", "Item"]
