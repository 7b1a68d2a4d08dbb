"""Bicep resource declarations checked against the Azure resource type definitions, as the compiler would.

The definitions are Azure/bicep-types-az's generated ``types.json`` files, vendored under
``resource-types/`` (see its README for provenance). For every resource declaration, nested child
resources included (read from the tree-sitter tree: pycep-parser drops nested children), the check
reports:

- a ``type@apiVersion`` with no definition (unless listed in ``WITHOUT_DEFINITIONS``), or one not
  deployable at the file's scope;
- a property name the type does not define (letter case included), a read-only property that is
  set, a required property that is missing;
- a literal value outside the allowed literals, pattern, length or range of its property;
- a parameter passed to a property whose ``@allowed``/``@minValue``/``@maxValue`` admit values the
  property does not (followed through module parameters to the caller's declaration).

Expressions that are not literals (references, functions, interpolated strings) are not evaluated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import tree_sitter_bicep
from tree_sitter import Language, Node, Parser

TYPES_DIR = Path(__file__).with_name("resource-types") / "generated"

# Property flags and scope bits of the bicep-types format.
REQUIRED, READ_ONLY = 1, 2
TENANT, MANAGEMENT_GROUP, SUBSCRIPTION, RESOURCE_GROUP, EXTENSION = 1, 2, 4, 8, 16
TARGET_SCOPES = {
    "tenant": TENANT,
    "managementGroup": MANAGEMENT_GROUP,
    "subscription": SUBSCRIPTION,
    "resourceGroup": RESOURCE_GROUP,
}
# Types infra/ uses whose definitions are not in the set the project was given (shared/bicep-types):
# they are not vendored from anywhere else, so the check names them as unchecked instead of
# passing them silently. Add a definition (and remove the type here) when the set gains one.
WITHOUT_DEFINITIONS = frozenset(
    {
        "microsoft.insights/workbooks@2023-06-01",
        "microsoft.insights/scheduledqueryrules@2022-06-15",
        "microsoft.insights/actiongroups@2023-01-01",
    }
)
# Keys of a resource body that are Bicep's own, not the resource type's.
BICEP_KEYWORDS = {"scope", "dependsOn", "parent"}


def _ref(value: dict) -> int:
    """A type reference, ``{"$ref": "#/N"}``, as a list index."""
    return int(value["$ref"].removeprefix("#/"))


def _normalized(entry: dict) -> dict:
    """One type entry in the current format's shape, with references as list indexes."""
    entry = dict(entry)
    for key in ("properties", "baseProperties"):
        if key in entry:
            entry[key] = {name: {**prop, "type": _ref(prop["type"])} for name, prop in entry[key].items()}
    for key in ("body", "itemType", "additionalProperties"):
        if entry.get(key) is not None:
            entry[key] = _ref(entry[key])
    if "elements" in entry:
        elements = entry["elements"]
        entry["elements"] = (
            {name: _ref(ref) for name, ref in elements.items()}
            if isinstance(elements, dict)
            else [_ref(r) for r in elements]
        )
    return entry


@dataclass(frozen=True)
class ResourceTypeDefinition:
    name: str  # Microsoft.Web/sites@2024-11-01, as the definition spells it
    types: list[dict]
    body: int
    readable_scopes: int
    writable_scopes: int


class TypeLibrary:
    """Every resource type of the vendored definitions, by ``type@apiVersion`` (type case-insensitive)."""

    def __init__(self, directory: Path = TYPES_DIR):
        self._resources: dict[str, ResourceTypeDefinition] = {}
        for path in sorted(directory.rglob("types.json")):
            types = [_normalized(entry) for entry in json.loads(path.read_text(encoding="utf-8"))]
            for entry in types:
                if entry["$type"] == "ResourceType":
                    self._resources[type_key(entry["name"])] = ResourceTypeDefinition(
                        entry["name"], types, entry["body"], entry["readableScopes"], entry["writableScopes"]
                    )

    def get(self, full_type: str) -> ResourceTypeDefinition | None:
        return self._resources.get(type_key(full_type))

    def versions(self, resource_type: str) -> list[str]:
        prefix = resource_type.lower() + "@"
        return sorted(key.removeprefix(prefix) for key in self._resources if key.startswith(prefix))


def type_key(full_type: str) -> str:
    """``type@apiVersion`` with the type lower-cased: Azure resource types are case-insensitive."""
    resource_type, _, version = full_type.partition("@")
    return f"{resource_type.lower()}@{version}"


# Values read from the tree: literals as Python values, objects and arrays as Obj and list,
# anything else (a reference, a function, an interpolated string) as Expr.
@dataclass
class Expr:
    text: str
    identifier: str | None = None  # set when the expression is a bare identifier
    branches: list[Any] = field(default_factory=list)  # the two results of a ternary


@dataclass
class Obj:
    properties: dict[str, tuple[Any, Node]]


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.resource}: {self.message}"


@dataclass
class Constraint:
    """What a parameter's decorators admit."""

    allowed: list[Any] | None = None
    min_value: int | None = None
    max_value: int | None = None


def _string(node: Node) -> str | Expr:
    parts = []
    for child in node.children:
        if child.type == "interpolation":
            return Expr(node.text.decode())
        if child.type == "string_content":
            parts.append(child.text.decode())
        elif child.type == "escape_sequence":
            parts.append(_unescape(child.text.decode()))
    return "".join(parts)


def _unescape(sequence: str) -> str:
    simple = {"\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$"}
    if sequence in simple:
        return simple[sequence]
    if sequence.startswith("\\u{"):
        return chr(int(sequence[3:-1], 16))
    return sequence


def _object(node: Node) -> Obj:
    properties = {}
    for child in node.named_children:
        if child.type != "object_property" or child.named_children[0].type == "resource_declaration":
            continue  # a nested resource is a declaration of its own, not a property
        key_node, value_node = child.named_children[0], child.named_children[-1]
        key = _string(key_node) if key_node.type == "string" else key_node.text.decode()
        properties[key if isinstance(key, str) else key.text] = (value_of(value_node), value_node)
    return Obj(properties)


def _ternary(node: Node) -> Expr:
    _condition, when_true, when_false = node.named_children
    return Expr(node.text.decode(), branches=[value_of(when_true), value_of(when_false)])


def _unary(node: Node) -> Any:
    text = node.text.decode()
    return int(text) if text.lstrip("-").isdigit() else Expr(text)


_VALUE_READERS = {
    "string": _string,
    "number": lambda node: int(node.text.decode()),
    "boolean": lambda node: node.text.decode() == "true",
    "null": lambda node: None,
    "object": _object,
    "array": lambda node: [value_of(child) for child in node.named_children if child.type != "comment"],
    "identifier": lambda node: Expr(node.text.decode(), identifier=node.text.decode()),
    "ternary_expression": _ternary,
    "parenthesized_expression": lambda node: value_of(node.named_children[0]),
    "unary_expression": _unary,
}


def value_of(node: Node) -> Any:
    """The value an expression node denotes, as far as it is literal."""
    reader = _VALUE_READERS.get(node.type)
    return reader(node) if reader else Expr(node.text.decode())


@dataclass
class BicepFile:
    """One Bicep file's syntax tree, with what the check needs from it."""

    path: Path
    root: Node

    @classmethod
    def parse(cls, path: Path, text: str | None = None) -> BicepFile:
        source = (text if text is not None else path.read_text(encoding="utf-8")).encode()
        return cls(path, Parser(Language(tree_sitter_bicep.language())).parse(source).root_node)

    @cached_property
    def target_scope(self) -> int:
        for node in self.root.named_children:
            if node.type == "target_scope_assignment":
                return TARGET_SCOPES[value_of(node.named_children[-1])]
        return RESOURCE_GROUP

    @cached_property
    def parameters(self) -> dict[str, Constraint]:
        """Parameter name -> the constraint its decorators state."""
        found: dict[str, Constraint] = {}
        decorators: list[Node] = []
        for node in self.root.named_children:
            if node.type == "decorators":
                decorators = [d.named_children[0] for d in node.named_children if d.type == "decorator"]
                continue
            if node.type == "parameter_declaration":
                constraint = Constraint()
                for call in decorators:
                    if call.type != "call_expression":
                        continue
                    name = call.named_children[0].text.decode()
                    arguments = [a for a in call.named_children[1].named_children if a.type != "comment"]
                    if name == "allowed":
                        constraint.allowed = value_of(arguments[0])
                    elif name == "minValue":
                        constraint.min_value = value_of(arguments[0])
                    elif name == "maxValue":
                        constraint.max_value = value_of(arguments[0])
                found[node.named_children[0].text.decode()] = constraint
            if node.type != "comment":
                decorators = []
        return found

    @cached_property
    def module_calls(self) -> list[tuple[str, dict[str, tuple[Any, Node]]]]:
        """(module path as written, its params object) for every module declaration."""
        calls = []
        for node in self.root.named_children:
            if node.type != "module_declaration":
                continue
            path = value_of(node.named_children[1])
            body = node.named_children[-1]
            body = body.named_children[-1] if body.type in ("if_statement", "for_statement") else body
            params = value_of(body).properties.get("params", (Obj({}), None))[0]
            calls.append((path, params.properties if isinstance(params, Obj) else {}))
        return calls


@dataclass
class Declaration:
    """One resource declaration: its symbol, full type, body and where it sits."""

    symbol: str
    full_type: str
    body: Obj
    node: Node
    existing: bool
    nested: bool


def declarations(bicep: BicepFile) -> list[Declaration]:
    """Every resource declaration of the file, nested children included, with their full types."""
    found: list[Declaration] = []

    def visit(node: Node, parent_type: str | None) -> None:
        symbol_node, type_node = node.named_children[0], node.named_children[1]
        written = value_of(type_node)
        if parent_type is None or ("@" in written and "/" in written.partition("@")[0]):
            full_type = written
        else:  # 'blobServices' inside Microsoft.Storage/storageAccounts@2025-01-01
            parent, _, parent_version = parent_type.partition("@")
            child, _, version = written.partition("@")
            full_type = f"{parent}/{child}@{version or parent_version}"
        value_node = node.named_children[-1]
        while value_node.type in ("if_statement", "for_statement"):
            value_node = value_node.named_children[-1]
        existing = any(child.type == "existing" for child in node.children)
        found.append(
            Declaration(
                symbol_node.text.decode(), full_type, value_of(value_node), node, existing, parent_type is not None
            )
        )
        for prop in value_node.named_children:
            if prop.type == "object_property" and prop.named_children[0].type == "resource_declaration":
                visit(prop.named_children[0], full_type)

    for node in bicep.root.named_children:
        if node.type == "resource_declaration":
            visit(node, None)
    return found


class Checker:
    """Checks the Bicep files of one deployment (a main file and the modules it calls)."""

    def __init__(self, files: list[BicepFile], library: TypeLibrary):
        self.files = {file.path.resolve(): file for file in files}
        self.library = library
        self.findings: list[Finding] = []

    def run(self) -> list[Finding]:
        for bicep in self.files.values():
            for declaration in declarations(bicep):
                self._check_declaration(bicep, declaration)
        return self.findings

    def _report(self, bicep: BicepFile, node: Node, declaration: Declaration, message: str) -> None:
        file = bicep.path.name if bicep.path.parent.name != "modules" else f"modules/{bicep.path.name}"
        self.findings.append(
            Finding(file, node.start_point[0] + 1, f"{declaration.symbol} ({declaration.full_type})", message)
        )

    def _check_declaration(self, bicep: BicepFile, declaration: Declaration) -> None:
        definition = self.library.get(declaration.full_type)
        if definition is None and type_key(declaration.full_type) in WITHOUT_DEFINITIONS:
            return  # named as unchecked by the tests, never passed silently
        if definition is None:
            resource_type = declaration.full_type.partition("@")[0]
            known = self.library.versions(resource_type)
            hint = f"; definitions exist for {', '.join(known)}" if known else ""
            self._report(bicep, declaration.node, declaration, f"no type definition for this API version{hint}")
            return
        scope = self._scope_of(bicep, declaration)
        scopes = definition.readable_scopes if declaration.existing else definition.writable_scopes
        if not scopes & scope:
            verb = "read" if declaration.existing else "deployed"
            self._report(bicep, declaration.node, declaration, f"cannot be {verb} at this scope ({scope})")
        if declaration.existing:
            return
        context = _Context(self, bicep, declaration, definition.types)
        context.check_object(declaration.body, definition.body, declaration.node, "", top_level=True)

    def _scope_of(self, bicep: BicepFile, declaration: Declaration) -> int:
        if declaration.nested:
            return RESOURCE_GROUP
        scope = declaration.body.properties.get("scope")
        if scope is None:
            return bicep.target_scope
        value = scope[0]
        text = value.text if isinstance(value, Expr) else ""
        for function, bit in (
            ("subscription(", SUBSCRIPTION),
            ("tenant(", TENANT),
            ("managementGroup(", MANAGEMENT_GROUP),
        ):
            if text.startswith(function):
                return bit
        return RESOURCE_GROUP if text.startswith("resourceGroup(") else EXTENSION

    def constraints(self, bicep: BicepFile, name: str, seen: frozenset[Path] = frozenset()) -> list[Constraint]:
        """What a parameter may hold: its own decorators, else those of every caller's argument."""
        own = bicep.parameters.get(name)
        if own is None:
            return []
        if own.allowed is not None or own.min_value is not None or own.max_value is not None:
            return [own]
        found = []
        for caller in self.files.values():
            if caller.path in seen:
                continue
            for module_path, params in caller.module_calls:
                if (caller.path.parent / module_path).resolve() != bicep.path.resolve() or name not in params:
                    continue
                argument = params[name][0]
                if isinstance(argument, Expr) and argument.identifier:
                    found += self.constraints(caller, argument.identifier, seen | {bicep.path})
        return found


@dataclass
class _Context:
    checker: Checker
    bicep: BicepFile
    declaration: Declaration
    types: list[dict]

    def report(self, node: Node, message: str) -> None:
        self.checker._report(self.bicep, node, self.declaration, message)

    def properties_of(self, value: Obj, type_index: int, node: Node, path: str) -> tuple[dict, int | None] | None:
        """The properties an object of this type may have, and the type of any others (None: no others)."""
        definition = self.types[type_index]
        if definition["$type"] == "ObjectType":
            return definition.get("properties", {}), definition.get("additionalProperties")
        if definition["$type"] != "DiscriminatedObjectType":
            return None
        properties = dict(definition.get("baseProperties", {}))
        discriminator, elements = definition["discriminator"], definition["elements"]
        chosen = value.properties.get(discriminator, (None, None))[0]
        if isinstance(chosen, str) and chosen not in elements:
            self.report(node, f"{path}{discriminator} '{chosen}' is not one of {sorted(elements)}")
            return None
        # A literal discriminator picks its variant; an expression may be any of them.
        for element in [elements[chosen]] if isinstance(chosen, str) else elements.values():
            properties |= self.types[element].get("properties", {})
        return properties, None

    def check_object(self, value: Obj, type_index: int, node: Node, path: str, top_level: bool = False) -> None:
        shape = self.properties_of(value, type_index, node, path)
        if shape is None:
            return
        properties, additional = shape
        for name, (item, item_node) in value.properties.items():
            if top_level and name in BICEP_KEYWORDS:
                continue
            prop = properties.get(name)
            if prop is None:
                if additional is not None:
                    self.check_value(item, additional, item_node, f"{path}{name}")
                    continue
                similar = [known for known in properties if known.lower() == name.lower()]
                hint = f"; did you mean '{similar[0]}'?" if similar else ""
                self.report(item_node.parent, f"property '{path}{name}' is not defined by the type{hint}")
                continue
            if prop["flags"] & READ_ONLY:
                self.report(item_node.parent, f"property '{path}{name}' is read-only")
                continue
            self.check_value(item, prop["type"], item_node, f"{path}{name}")
        for name, prop in properties.items():
            if prop["flags"] & REQUIRED and not prop["flags"] & READ_ONLY and name not in value.properties:
                self.report(node, f"required property '{path}{name}' is missing")

    def check_value(self, value: Any, type_index: int, node: Node, path: str) -> None:
        if isinstance(value, Expr):
            for branch in value.branches:
                self.check_value(branch, type_index, node, path)
            if value.identifier:
                for constraint in self.checker.constraints(self.bicep, value.identifier):
                    self.check_constraint(constraint, type_index, node, path, value.identifier)
            return
        problem = self.problem(value, type_index, node, path)
        if problem:
            self.report(node, problem)

    def check_constraint(self, constraint: Constraint, type_index: int, node: Node, path: str, name: str) -> None:
        for allowed in constraint.allowed or []:
            problem = self.problem(allowed, type_index, node, path)
            if problem:
                self.report(node, f"parameter {name} allows a value the property does not: {problem}")
        definition = self.types[type_index]
        if definition["$type"] == "IntegerType":
            low, high = definition.get("minValue"), definition.get("maxValue")
            if low is not None and constraint.min_value is not None and constraint.min_value < low:
                self.report(
                    node, f"parameter {name} has @minValue({constraint.min_value}), below {path}'s minimum {low}"
                )
            if high is not None and constraint.max_value is not None and constraint.max_value > high:
                self.report(
                    node, f"parameter {name} has @maxValue({constraint.max_value}), above {path}'s maximum {high}"
                )

    def problem(self, value: Any, type_index: int, node: Node, path: str) -> str | None:
        """Why a literal value does not fit the type, or None."""
        if isinstance(value, Expr):
            return None
        definition = self.types[type_index]
        check = getattr(self, f"_problem_{definition['$type']}", None)
        return check(value, definition, node, path) if check else None

    def _problem_UnionType(self, value: Any, definition: dict, node: Node, path: str) -> str | None:
        problems = [self.problem(value, element, node, path) for element in definition["elements"]]
        if not all(problems):
            return None
        elements = [self.types[element] for element in definition["elements"]]
        literals = [element["value"] for element in elements if element["$type"] == "StringLiteralType"]
        return f"'{path}' = {value!r} is not one of {literals}" if literals else problems[0]

    def _problem_StringLiteralType(self, value: Any, definition: dict, node: Node, path: str) -> str | None:
        return None if value == definition["value"] else f"'{path}' = {value!r} is not {definition['value']!r}"

    def _problem_StringType(self, value: Any, definition: dict, node: Node, path: str) -> str | None:
        if not isinstance(value, str):
            return f"'{path}' = {value!r} is not a string"
        low, high = definition.get("minLength", 0), definition.get("maxLength", len(value))
        if not low <= len(value) <= high:
            return f"'{path}' = {value!r} has a length outside {low}..{high}"
        pattern = definition.get("pattern")
        if pattern and not re.search(pattern, value):
            return f"'{path}' = {value!r} does not match {pattern}"
        return None

    def _problem_IntegerType(self, value: Any, definition: dict, node: Node, path: str) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"'{path}' = {value!r} is not an integer"
        low, high = definition.get("minValue"), definition.get("maxValue")
        if (low is not None and value < low) or (high is not None and value > high):
            return f"'{path}' = {value} is outside {low}..{high}"
        return None

    def _problem_BooleanType(self, value: Any, definition: dict, node: Node, path: str) -> str | None:
        return None if isinstance(value, bool) else f"'{path}' = {value!r} is not a boolean"

    def _problem_NullType(self, value: Any, definition: dict, node: Node, path: str) -> str | None:
        return None if value is None else f"'{path}' = {value!r} is not null"

    def _problem_ArrayType(self, value: Any, definition: dict, node: Node, path: str) -> str | None:
        if not isinstance(value, list):
            return f"'{path}' = {value!r} is not an array"
        items = [child for child in node.named_children if child.type != "comment"]
        for index, (item, item_node) in enumerate(zip(value, items, strict=True)):
            self.check_value(item, definition["itemType"], item_node, f"{path}[{index}]")
        return None

    def _problem_ObjectType(self, value: Any, definition: dict, node: Node, path: str) -> str | None:
        if not isinstance(value, Obj):
            return f"'{path}' = {value!r} is not an object"
        self.check_object(value, self.types.index(definition), node, f"{path}.")
        return None

    _problem_DiscriminatedObjectType = _problem_ObjectType


def check_files(
    paths: list[Path], library: TypeLibrary | None = None, texts: dict[Path, str] | None = None
) -> list[Finding]:
    """Findings for the given Bicep files (``texts`` replaces a file's content, for tests)."""
    texts = texts or {}
    files = [BicepFile.parse(path, texts.get(path)) for path in paths]
    return Checker(files, library or TypeLibrary()).run()
