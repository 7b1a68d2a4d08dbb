"""The base of every SCIM model: case-insensitive attribute names and attribute characteristics.

RFC 7643 section 2.1: attribute names are case-insensitive. RFC 7643 section 7: every attribute
has characteristics (mutability, returned, caseExact, uniqueness) that the service obeys.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, model_validator


@dataclass(frozen=True)
class Scim:
    """Characteristics of one attribute (RFC 7643 section 7); defaults are the RFC's."""

    mutability: Literal["readOnly", "readWrite", "immutable", "writeOnly"] = "readWrite"
    returned: Literal["always", "never", "default", "request"] = "default"
    case_exact: bool = False
    uniqueness: Literal["none", "server", "global"] = "none"
    required: bool = False
    # The SCIM type when the Python type does not tell it (RFC 7643 section 2.3).
    type: Literal["reference", "dateTime", "binary"] | None = None
    reference_types: tuple[str, ...] = ()
    canonical_values: tuple[str, ...] = ()


DEFAULT_CHARACTERISTICS = Scim()
CORE_SCHEMA_PREFIX = "urn:ietf:params:scim:schemas:core:"
# RFC 7643 section 2.1: ATTRNAME = ALPHA *(nameChar).
ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,127}")
V = typing.TypeVar("V")


@dataclass(frozen=True)
class AttributeInfo:
    """What the rules need to know of one attribute of a model."""

    name: str  # canonical SCIM name, as serialized (e.g. "userName", "$ref", a schema URN)
    field_name: str  # the pydantic field name (the SCIM name for declared attributes)
    multi_valued: bool
    complex_type: AttributeSource | None
    characteristics: Scim
    element_type: Any = str  # the Python type of the value (of each value, when multi-valued)
    required: bool = False


class AmbiguousAttribute(ValueError):
    """One attribute given twice, in two letter cases: the body is ambiguous (400 invalidSyntax)."""

    def __init__(self, name: str):
        super().__init__(f"the attribute '{name}' is given more than once, in different letter cases")


class ScimObject(BaseModel):
    """A SCIM complex value or resource; input keys match attribute names case-insensitively."""

    # defer_build: a model's validator is built when it first validates, not at import, so a
    # cold start pays only for the models its requests use (reads validate nothing).
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _accept_any_letter_case(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        canonical = {}
        for key, value in data.items():
            info = attribute(cls, key) if isinstance(key, str) else None
            if info is not None:
                if info.field_name in canonical:
                    raise AmbiguousAttribute(info.name)
                canonical[info.field_name] = value
        return canonical

    def to_dict(self, **exclude: Any) -> dict[str, Any]:
        """The JSON form with canonical names, without unassigned (null or empty) values."""
        dumped = self.model_dump(mode="json", by_alias=True, exclude_none=True, **exclude)
        return _without_empty(dumped)


def _without_empty(value: dict[str, Any]) -> dict[str, Any]:
    # RFC 7643 section 2.5: unassigned attributes, null and empty arrays alike, are not returned.
    cleaned = {key: _cleaned(item) for key, item in value.items()}
    return {key: item for key, item in cleaned.items() if item not in (None, [], {})}


def _cleaned(value: Any) -> Any:
    if isinstance(value, dict):
        return _without_empty(value)
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    return value


class DeclaredAttributes:
    """Attributes declared as data rather than by a model: an extension schema or one of its complex
    attributes (``scim.models.extension_schema``). ``attribute``/``attributes`` read them like a model's."""

    def __init__(self, by_name: dict[str, AttributeInfo]):
        self.by_name = by_name  # lower-cased SCIM name -> attribute

    def lookup(self, name: str) -> AttributeInfo | None:
        return self.by_name.get(name.lower())


class UndeclaredExtension(DeclaredAttributes):
    """The attributes of an extension no schema declares, kept under the ``keep`` policy
    (docs/extensions.md): any name is a single-valued, case-insensitive string attribute for
    filters, sorting and selection."""

    def __init__(self) -> None:
        super().__init__({})

    def lookup(self, name: str) -> AttributeInfo | None:
        if not ATTRIBUTE_NAME.fullmatch(name):
            return None
        return AttributeInfo(name, name, False, None, DEFAULT_CHARACTERISTICS)


UNDECLARED = UndeclaredExtension()
# Where attributes are described: a pydantic model (core schemas, the enterprise extension) or declared data.
AttributeSource = type[ScimObject] | DeclaredAttributes


def attributes(model: AttributeSource) -> dict[str, AttributeInfo]:
    """Every attribute of ``model``, keyed by its lower-cased SCIM name."""
    if isinstance(model, DeclaredAttributes):
        return model.by_name
    return _model_attributes(model)


@functools.cache
def _model_attributes(model: type[ScimObject]) -> dict[str, AttributeInfo]:
    found: dict[str, AttributeInfo] = {}
    hints = typing.get_type_hints(model, include_extras=True)
    for field_name, field in model.model_fields.items():
        annotation = _strip_annotated(_strip_optional(_strip_annotated(hints[field_name])))
        multi_valued = typing.get_origin(annotation) is list
        element = typing.get_args(annotation)[0] if multi_valued else annotation
        complex_type = element if isinstance(element, type) and issubclass(element, ScimObject) else None
        characteristics = next((item for item in field.metadata if isinstance(item, Scim)), DEFAULT_CHARACTERISTICS)
        name = field.alias or field_name
        required = field.is_required() or characteristics.required
        found[name.lower()] = AttributeInfo(
            name, field_name, multi_valued, complex_type, characteristics, element, required
        )
    return found


def attribute(model: AttributeSource, name: str) -> AttributeInfo | None:
    """The attribute of ``model`` called ``name`` in any letter case, or None."""
    if isinstance(model, DeclaredAttributes):
        return model.lookup(name)
    return _model_attributes(model).get(name.lower())


def key_in_any_case(mapping: Mapping[Any, Any], name: str) -> str | None:
    """The key of ``mapping`` that is ``name`` in any letter case (RFC 7643 section 2.1), or None.

    ``name`` itself when present, else the first key equal to it but for case.
    """
    if name in mapping:
        return name
    folded = name.lower()
    return next((key for key in mapping if isinstance(key, str) and key.lower() == folded), None)


def key_repeated_in_any_case(mapping: Mapping[Any, Any]) -> str | None:
    """A key of ``mapping`` equal to an earlier one but for letter case, or None.

    Such a body is ambiguous (RFC 7643 section 2.1: names are case-insensitive), so it is refused
    rather than letting one of the values silently win.
    """
    seen: set[str] = set()
    for key in mapping:  # keys only: a dict cannot hold one key twice
        if isinstance(key, str):
            folded = key.lower()
            if folded in seen:
                return key
            seen.add(folded)
    return None


@typing.overload
def value_in_any_case(container: Mapping[str, V], name: str) -> V | None: ...
@typing.overload
def value_in_any_case(container: object, name: str) -> Any: ...
def value_in_any_case(container: object, name: str) -> Any:
    """``container[name]`` with the name matched in any letter case; None when absent or not a mapping."""
    if not isinstance(container, dict) and not isinstance(container, Mapping):  # dict first: the common, fast case
        return None
    key = key_in_any_case(container, name)
    return None if key is None else container[key]


def _strip_annotated(annotation: Any) -> Any:
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation
