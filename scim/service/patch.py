"""The PATCH engine (RFC 7644 section 3.5.2) on a resource's JSON attributes.

Operations apply in order to a copy; the caller validates the result as a whole, so a request
applies all of its operations or none. Attribute names are matched case-insensitively and
written back under their canonical names.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from scim.errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget
from scim.models import tolerances
from scim.models.base import (
    UNDECLARED,
    AmbiguousAttribute,
    AttributeInfo,
    AttributeSource,
    attribute,
    key_in_any_case,
    key_repeated_in_any_case,
)
from scim.models.messages import PatchOperation
from scim.models.resource_types import ResourceType
from scim.service.filters.evaluator import matches
from scim.service.filters.parser import parse_patch_path
from scim.service.filters.tree import AttrPath, equalities_of_conjunction

ID = "id"


@dataclass(frozen=True)
class Target:
    """Where one operation applies: an attribute of a container, maybe narrowed further."""

    container_key: str | None  # None: the resource's top level; else an extension's URN
    attribute: AttributeInfo
    value_filter: Any = None  # a filter node selecting elements of a multi-valued attribute
    sub_attribute: AttributeInfo | None = None


def apply_operations(
    attributes: dict[str, Any],
    operations: list[PatchOperation],
    resource_type: ResourceType,
    resource_id: str | None = None,
) -> dict[str, Any]:
    """The attributes after every operation, applied in order to a copy.

    ``resource_id`` is the resource's ``id``, so that an operation giving ``id`` its own value
    (Okta's Group Push renames with ``{"id": <the group's id>, "displayName": ...}``) is a no-op.
    """
    document = copy.deepcopy(attributes)
    if resource_id is not None:
        document[ID] = resource_id  # seen by the mutability check only; taken out below
    for operation in operations:
        extension = (
            _whole_extension(resource_type, operation.path, operation.op, operation.value, document)
            if operation.path
            else None
        )
        if operation.path is not None and operation.path.strip().lower() == "schemas":
            continue  # the service derives ``schemas`` from the attributes present
        if operation.path is None:
            _apply_without_path(document, operation, resource_type)
        elif extension is not None:
            _apply_to_extension(document, operation.op, extension, operation.value)
        else:
            _apply_at(document, operation.op, _resolve(operation.path, resource_type), operation.value)
    document.pop(ID, None)
    return document


def _apply_without_path(document: dict[str, Any], operation: PatchOperation, resource_type: ResourceType) -> None:
    """RFC 7644 section 3.5.2.1/3.5.2.3: the value holds attributes; each key is applied as a path."""
    if operation.op == "remove":
        raise NoTarget("remove requires a path")
    if not isinstance(operation.value, dict):
        raise InvalidValue(f"{operation.op} without a path requires an object value")
    _refuse_case_variants(operation.value)
    for key, value in operation.value.items():
        extension = _whole_extension(resource_type, key, operation.op, value, document)
        if key.lower() == "schemas":
            continue  # derived by the service, as above
        if extension is not None:
            _apply_to_extension(document, operation.op, extension, value)
        else:
            _apply_at(document, operation.op, _resolve(key, resource_type), value)


def _whole_extension(
    resource_type: ResourceType, name: str, op: str, value: Any, document: dict[str, Any]
) -> tuple[str, AttributeSource] | None:
    """The extension ``name`` names as a whole, or None when it names an attribute (or nothing served).

    An undeclared URN kept by policy is a whole extension when the resource carries it or the value
    is an object of attributes; else (``urn:...:User:attribute`` with a simple value) an attribute.
    """
    found = resource_type.extension(name)
    if found is not None or not resource_type.keeps_undeclared(name):
        return found
    if resource_type.extension(name.rpartition(":")[0]) is not None:
        return None  # an attribute of a served extension
    stored = key_in_any_case(document, name)
    if stored is not None:
        return stored, UNDECLARED
    return (name, UNDECLARED) if op != "remove" and isinstance(value, dict) else None


def _apply_to_extension(document: dict[str, Any], op: str, extension: tuple[str, AttributeSource], value: Any) -> None:
    """A whole extension object as the target: each of its keys is applied as a path."""
    urn, model = extension
    if op == "remove":
        if value is not None:
            raise InvalidValue(f"remove of '{urn}' takes no value")
        document.pop(urn, None)
        return
    if not isinstance(value, dict):
        raise InvalidValue(f"a value for '{urn}' must be an object")
    _refuse_case_variants(value)
    for key, item in value.items():
        if key.lower() != "schemas":  # derived by the service
            _apply_at(document, op, _resolve_in(urn, model, key), item)


def _resolve(path: str, resource_type: ResourceType) -> Target:
    """The target of a path such as ``emails[type eq "work"].value`` or a URN-qualified one."""
    parsed = parse_patch_path(path)
    located = resource_type.schema_model(parsed.path.schema)
    if located is None:
        raise InvalidPath(f"unknown schema '{parsed.path.schema}' in path '{path}'")
    container_key, model = located
    info = _attribute_of(model, parsed.path.attribute, path)
    if parsed.path.sub_attribute is not None and parsed.sub_attribute is not None:
        raise InvalidPath(f"path '{path}' names two sub-attributes")
    sub_name = parsed.path.sub_attribute or parsed.sub_attribute
    sub_info = _sub_attribute_of(info, sub_name, path) if sub_name is not None else None
    if parsed.value_filter is not None and not info.multi_valued:
        raise InvalidPath(f"'{info.name}' is not multi-valued; it takes no filter")
    return Target(container_key, info, parsed.value_filter, sub_info)


def _resolve_in(urn: str, model: AttributeSource, key: str) -> Target:
    """A key of an extension object given in a no-path value (``{"urn...": {"department": ...}}``)."""
    return Target(urn, _attribute_of(model, key, key))


def _attribute_of(model: AttributeSource, name: str, path: str) -> AttributeInfo:
    info = attribute(model, name)
    if info is None:
        raise InvalidPath(f"no attribute '{name}' in path '{path}'")
    return info


def _sub_attribute_of(info: AttributeInfo, name: str, path: str) -> AttributeInfo:
    if info.complex_type is None:
        raise InvalidPath(f"'{info.name}' has no sub-attributes (path '{path}')")
    return _attribute_of(info.complex_type, name, path)


def _is_unchanged_fixed_value(document: dict[str, Any], op: str, target: Target, value: Any) -> bool:
    """True when ``target`` is readOnly or immutable and the operation leaves it as it is; 400
    mutability when it would change it (RFC 7643 section 7; RFC 7644 section 3.5.2: a value equal
    to the current one may be ignored, which Okta's Group Push relies on)."""
    fixed = [
        info
        for info in (target.attribute, target.sub_attribute)
        if info is not None and info.characteristics.mutability in ("readOnly", "immutable")
    ]
    if not fixed:
        return False
    if op != "remove" and target.value_filter is None and _current_value(document, target) == value:
        return True
    raise Mutability(f"'{fixed[0].name}' is {fixed[0].characteristics.mutability}")


def _current_value(document: dict[str, Any], target: Target) -> Any:
    container: Any = document
    if target.container_key is not None:
        container = document.get(key_in_any_case(document, target.container_key) or target.container_key, {})
    current = container.get(target.attribute.name) if isinstance(container, dict) else None
    if target.sub_attribute is not None:
        return current.get(target.sub_attribute.name) if isinstance(current, dict) else None
    return current


def _refuse_case_variants(value: dict[str, Any]) -> None:
    repeated = key_repeated_in_any_case(value)
    if repeated is not None:
        raise InvalidSyntax(str(AmbiguousAttribute(repeated)))


def _apply_at(document: dict[str, Any], op: str, target: Target, value: Any) -> None:
    whole_multi_valued = target.attribute.multi_valued and target.value_filter is None and target.sub_attribute is None
    if op == "remove" and value is not None and not whole_multi_valued:
        # Only a whole multi-valued attribute says what a value means on remove (those values go).
        raise InvalidValue(f"remove of '{target.attribute.name}' takes no value")
    if _is_unchanged_fixed_value(document, op, target, value):
        return
    container_key = target.container_key
    if container_key is not None:
        container_key = key_in_any_case(document, container_key) or container_key
    container = document if container_key is None else document.setdefault(container_key, {})
    name = target.attribute.name
    if target.attribute.multi_valued:
        _apply_multi_valued(container, op, target, value)
    elif target.sub_attribute is not None:
        _apply_sub_attribute(container, op, target.attribute, target.sub_attribute, value)
    elif op == "remove":
        container.pop(name, None)
    elif (
        target.attribute.complex_type is not None and isinstance(value, dict) and isinstance(container.get(name), dict)
    ):
        # RFC 7644 section 3.5.2.3: sub-attributes not given are left unchanged (for add too).
        container[name].update(_canonical(value, target.attribute.complex_type))
    else:
        container[name] = _canonical(value, target.attribute.complex_type)
    if container_key is not None and not container:
        document.pop(container_key, None)


def _apply_sub_attribute(
    container: dict[str, Any], op: str, parent_attribute: AttributeInfo, sub_attribute: AttributeInfo, value: Any
) -> None:
    """``name.givenName``: set or remove one sub-attribute of a single complex attribute."""
    parent_name, sub_name = parent_attribute.name, sub_attribute.name
    parent = container.get(parent_name)
    if op == "remove":
        if isinstance(parent, dict):
            parent.pop(sub_name, None)
            if not parent:
                container.pop(parent_name)
        return
    if not isinstance(parent, dict):
        parent = container[parent_name] = {}
    parent[sub_name] = _canonical(value, sub_attribute.complex_type)


def _apply_multi_valued(container: dict[str, Any], op: str, target: Target, value: Any) -> None:
    name, element_type = target.attribute.name, target.attribute.complex_type
    elements: list[Any] = container.get(name) or []
    if target.value_filter is None and target.sub_attribute is None:
        container[name] = _whole_multi_valued(op, elements, value, element_type)
    else:
        selected = [element for element in elements if _selects(target, element)]
        if op == "remove":
            remaining = _remove_from_elements(elements, selected, target)
        elif selected:
            remaining = elements
            for element in selected:
                _write_into_element(element, target, value)
        else:
            remaining = [*elements, _new_element(target, value)]
        container[name] = remaining
    if not container[name]:
        container.pop(name)


def _whole_multi_valued(op: str, elements: list[Any], value: Any, element_type: AttributeSource | None) -> list[Any]:
    """RFC 7644 section 3.5.2: add appends new values, replace swaps all, remove drops all or those given."""
    given = [_canonical(item, element_type) for item in (value if isinstance(value, list) else [value])]
    if op == "add":
        return elements + [item for item in given if item not in elements]
    if op == "replace":
        return given
    if value is None:
        return []
    # A remove carrying values removes only those (matched by their "value" sub-attribute).
    removed = {_element_value(item) for item in given}
    return [element for element in elements if _element_value(element) not in removed]


def _selects(target: Target, element: Any) -> bool:
    if target.value_filter is None:
        return True
    if not isinstance(element, dict):
        return False
    element_type = target.attribute.complex_type

    def case_exact(path: AttrPath) -> bool:
        sub = attribute(element_type, path.sub_attribute or path.attribute) if element_type else None
        return bool(sub and sub.characteristics.case_exact)

    return matches(target.value_filter, element, case_exact=case_exact)


def _remove_from_elements(elements: list[Any], selected: list[Any], target: Target) -> list[Any]:
    if target.sub_attribute is None:
        return [element for element in elements if not any(element is chosen for chosen in selected)]
    for element in selected:
        element.pop(target.sub_attribute.name, None)
    return [element for element in elements if element]


def _write_into_element(element: dict[str, Any], target: Target, value: Any) -> None:
    if target.sub_attribute is not None:
        element[target.sub_attribute.name] = _canonical(value, target.sub_attribute.complex_type)
    elif isinstance(value, dict):
        element.update(_canonical(value, target.attribute.complex_type))
    else:
        raise InvalidValue(f"a value for '{target.attribute.name}[...]' must be an object")


def _new_element(target: Target, value: Any) -> dict[str, Any]:
    """The one element an add/replace creates when its filter matches none (tolerance 3).

    The element takes the filter's ``eq`` terms, e.g. ``emails[type eq "work"].value`` makes
    ``{"type": "work", "value": ...}``; a filter that is not a conjunction of ``eq`` cannot.
    """
    equalities = equalities_of_conjunction(target.value_filter) if target.value_filter is not None else []
    if target.value_filter is not None and not tolerances.CREATE_ELEMENT_FOR_UNMATCHED_FILTER:
        equalities = None
    if equalities is None:
        raise NoTarget(f"no element of '{target.attribute.name}' matches the filter")
    element = {}
    for comparison in equalities:
        info = _sub_attribute_of(target.attribute, comparison.path.sub_attribute or comparison.path.attribute, "")
        element[info.name] = comparison.value
    _write_into_element(element, target, value)
    return element


def _element_value(element: Any) -> Any:
    return element.get("value") if isinstance(element, dict) else element


def _canonical(value: Any, model: AttributeSource | None) -> Any:
    """``value`` with the keys of complex values renamed to canonical attribute names."""
    if model is None:
        return value
    if isinstance(value, list):
        return [_canonical(item, model) for item in value]
    if not isinstance(value, dict):
        return value
    _refuse_case_variants(value)
    renamed = {}
    for key, item in value.items():
        info = attribute(model, key) if isinstance(key, str) else None
        if info is None:
            renamed[key] = item  # left for validation to ignore, like any unknown attribute
        else:
            renamed[info.name] = _canonical(item, info.complex_type)
    return renamed
