"""``attributes`` and ``excludedAttributes`` (RFC 7644 section 3.9) with each attribute's ``returned``.

Names are in standard attribute notation (RFC 7644 section 3.10): ``userName``,
``name.givenName``, ``emails.value``, URN-qualified core names
(``urn:ietf:params:scim:schemas:core:2.0:User:userName``), extension attributes
(``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department``) or a whole extension
(its URN alone), in any letter case. Unknown names select nothing and exclude nothing.

The ``returned`` characteristic (RFC 7643 section 7) of each attribute and sub-attribute, read
from the models, wins over both lists: ``always`` is always returned, ``never`` never,
``request`` only when named in ``attributes``, ``default`` unless left out by either list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scim.models.base import UNDECLARED, AttributeSource, attribute
from scim.models.resource_types import ResourceType, is_extension_urn
from scim.service.filters.tree import CORE_SCHEMA_PREFIX

# A selection tree: lower-cased name -> the selected sub-attributes, or None for the whole attribute.
Tree = dict[str, "Tree | None"]


@dataclass(frozen=True)
class Selection:
    """What a request asks to be returned of each resource; the default returns the default set."""

    attributes: tuple[str, ...] | None = None
    excluded: tuple[str, ...] = ()

    @classmethod
    def parse(cls, attributes: str | None, excluded: str | None) -> Selection:
        """From the comma-separated query parameters (RFC 7644 section 3.9)."""
        return cls.of(_split(attributes) if attributes else None, _split(excluded) if excluded else ())

    @classmethod
    def of(cls, attributes: Iterable[str] | None, excluded: Iterable[str] = ()) -> Selection:
        """From lists of names, as a SearchRequest carries them (RFC 7644 section 3.4.3)."""
        chosen = tuple(name.strip() for name in attributes if name.strip()) if attributes is not None else None
        return cls(chosen or None, tuple(name.strip() for name in excluded if name.strip()))

    def includes(self, name: str) -> bool:
        """Whether any of the core attribute ``name`` (returned by default) is part of the response.

        Lets the service skip reading what will not be returned: ``excludedAttributes=members``
        reads no membership row.
        """
        name = name.lower()
        if self.attributes is not None:
            return any(_core_path(given)[0] == name for given in self.attributes)
        return not any(_core_path(given) == [name] for given in self.excluded)

    def apply(self, body: dict[str, Any], resource_type: ResourceType) -> dict[str, Any]:
        """``body`` (a resource's full JSON) reduced to what is selected; ``schemas`` follows."""
        extensions: dict[str, AttributeSource] = {urn.lower(): model for urn, model in resource_type.extensions.items()}
        extensions.update(
            {key.lower(): UNDECLARED for key in body if key.lower() not in extensions and is_extension_urn(key)}
        )
        included = _tree(self.attributes, resource_type) if self.attributes is not None else None
        selected = _select(body, resource_type.model, included, _tree(self.excluded, resource_type), extensions)
        if isinstance(selected.get("schemas"), list):
            present = {key.lower() for key in selected}
            selected["schemas"] = [
                urn for urn in selected["schemas"] if urn.lower() not in extensions or urn.lower() in present
            ]
        return selected


def _split(text: str) -> list[str]:
    return text.split(",")


def _core_path(name: str) -> list[str]:
    """A name's parts, lower-cased, after a core schema URN if it has one."""
    lowered = name.strip().lower()
    if lowered.startswith(CORE_SCHEMA_PREFIX):
        lowered = lowered.rpartition(":")[2]
    return lowered.split(".")


def _parts(name: str, resource_type: ResourceType) -> list[str] | None:
    """The path a name selects, as lower-cased keys of the resource's JSON; None when unknown."""
    lowered = name.lower()
    core = resource_type.schema.lower()
    if lowered.startswith(core + ":"):
        return lowered[len(core) + 1 :].split(".")
    for urn in resource_type.extensions:
        extension = urn.lower()
        if lowered == extension:
            return [extension]
        if lowered.startswith(extension + ":"):
            return [extension, *lowered[len(extension) + 1 :].split(".")]
    if not lowered.startswith("urn:"):
        return lowered.split(".")
    return None


def _alternatives(name: str, resource_type: ResourceType) -> list[list[str]]:
    """The paths a name may select: one, or for an undeclared extension kept by policy, whose URN
    alone does not tell, both the whole extension and an attribute of the URN before the last colon."""
    parts = _parts(name, resource_type)
    if parts is not None:
        return [parts]
    lowered = name.lower()
    if resource_type.undeclared != "keep" or not is_extension_urn(lowered):
        return []
    urn, _, rest = lowered.rpartition(":")
    return [[lowered], [urn, *rest.split(".")]]


def _tree(names: Iterable[str], resource_type: ResourceType) -> Tree:
    tree: Tree = {}
    for parts in (alternative for name in names for alternative in _alternatives(name, resource_type)):
        node: Tree | None = tree
        for position, part in enumerate(parts):
            if node is None:
                break  # an ancestor is selected whole already
            if position == len(parts) - 1:
                node[part] = None
            else:
                node = node.setdefault(part, {})
    return tree


def _select(
    value: dict[str, Any],
    model: AttributeSource,
    included: Tree | None,
    excluded: Tree,
    extensions: dict[str, AttributeSource],
) -> dict[str, Any]:
    """The keys of ``value`` to return; ``included`` None means the default set."""
    selected = {}
    for key, item in value.items():
        name = key.lower()
        complex_type: AttributeSource | None
        if name in extensions:
            returned, complex_type = "default", extensions[name]
        else:
            info = attribute(model, key)
            returned = info.characteristics.returned if info is not None else "default"
            complex_type = info.complex_type if info is not None else None
        if returned == "always":
            selected[key] = item
        elif _chosen(name, returned, included, excluded):
            if complex_type is None:
                selected[key] = item
                continue
            below = included[name] if included is not None else None
            narrowed = _select_within(item, complex_type, below, excluded.get(name) or {})
            if narrowed not in ({}, []):
                selected[key] = narrowed
    return selected


def _chosen(name: str, returned: str, included: Tree | None, excluded: Tree) -> bool:
    """Whether an attribute that is not ``returned: always`` is (at least in part) returned."""
    if returned == "never" or (name in excluded and excluded[name] is None):
        return False
    if included is None:
        return returned != "request"
    return name in included


def _select_within(item: Any, model: AttributeSource, included: Tree | None, excluded: Tree) -> Any:
    """The sub-attributes of a complex value, or of each element of a multi-valued one."""
    if isinstance(item, dict):
        return _select(item, model, included, excluded, {})
    if isinstance(item, list):
        elements = [_select(e, model, included, excluded, {}) if isinstance(e, dict) else e for e in item]
        return [element for element in elements if element != {}]
    return item
