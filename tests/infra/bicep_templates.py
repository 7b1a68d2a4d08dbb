"""The Bicep files under infra/, parsed, and helpers to read them (shared by tests/infra).

pycep-parser turns a Bicep file into JSON: ``parameters``, ``variables``, ``resources``,
``modules`` and ``outputs``, with expressions as nested ``operator``/``function`` objects. An
identifier and a string literal both come out as a plain string; ``expression_text`` writes an
expression back in a Bicep-like form so that tests can compare whole expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycep import BicepParser

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))


def expression_text(node: Any) -> str:
    """A parsed expression as text: ``a.b``, ``a::b``, ``guid(x.id, y, roles.z)``, literals as is."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and "operator" in node:
        operator = node["operator"]
        operands = [expression_text(value) for value in operator["operands"].values()]
        if operator["type"] == "property_accessor":
            return ".".join(operands)
        if operator["type"] == "nested_resource_accessor":
            return "::".join(operands)
        return f"{operator['type']}({', '.join(operands)})"
    if isinstance(node, dict) and "function" in node:
        function = node["function"]
        parameters = function.get("parameters") or {}
        arguments = [expression_text(value) for value in parameters.values() if value is not None]
        return f"{function['type']}({', '.join(arguments)})"
    return repr(node)


@dataclass(frozen=True)
class Template:
    """One parsed Bicep file."""

    path: Path
    tree: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Symbolic name -> resource body (``config``; the inner body of a conditional resource)."""
        found = {}
        for name, resource in self.tree.get("resources", {}).items():
            if resource["type"] == resource_type and not resource["existing"]:
                config = resource["config"]
                found[name] = config.get("config", config) if "condition" in config else config
        return found

    def resource(self, resource_type: str) -> dict[str, Any]:
        """The body of the only resource of that type in this file."""
        (body,) = self.resources(resource_type).values()
        return body

    def variable(self, name: str) -> Any:
        return self.tree["variables"][name]["value"]

    def resolve(self, node: Any) -> Any:
        """``roles.x`` where ``roles`` is an object variable of this file: its value; else the node."""
        text = expression_text(node)
        head, _, key = text.partition(".")
        value = self.tree.get("variables", {}).get(head, {}).get("value")
        if key and isinstance(value, dict) and key in value:
            return value[key]
        return node


def parse_templates() -> dict[str, Template]:
    """Every Bicep file, parsed, by path relative to infra/ (``main.bicep``, ``modules/rbac.bicep``)."""
    parser = BicepParser()
    return {str(path.relative_to(INFRA)): Template(path, parser.parse(file_path=path)) for path in BICEP_FILES}
