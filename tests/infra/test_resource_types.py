"""Every resource declaration in infra/ fits the Azure resource type definitions the Bicep compiler
checks against (vendored from Azure/bicep-types-az, see tests/infra/resource-types/README.md); and
the check catches what the compiler would: a misspelled property, a wrong enum value, an unknown
API version, a missing required or a set read-only property, a value out of range, a wrong scope,
a parameter allowing what the property does not."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from bicep_templates import BICEP_FILES, INFRA
from resource_types import TYPES_DIR, WITHOUT_DEFINITIONS, BicepFile, TypeLibrary, check_files, declarations, type_key

PROVENANCE = TYPES_DIR.parent / "README.md"


@pytest.fixture(scope="module")
def library() -> TypeLibrary:
    return TypeLibrary()


def findings_after(library: TypeLibrary, edits: dict[str, tuple[str, str]]) -> list[str]:
    """The findings for infra/ with ``old`` replaced by ``new`` in each named file."""
    texts = {}
    for name, (old, new) in edits.items():
        text = (INFRA / name).read_text(encoding="utf-8")
        assert old in text, f"{name} no longer contains {old!r}"
        texts[INFRA / name] = text.replace(old, new, 1)
    return [str(finding) for finding in check_files(BICEP_FILES, library, texts)]


def test_every_resource_declaration_in_infra_fits_its_type_definition(library):
    assert [str(finding) for finding in check_files(BICEP_FILES, library)] == []


def test_the_check_covers_nested_child_resources(library):
    checked = {d.full_type for path in BICEP_FILES for d in declarations(BicepFile.parse(path))}

    assert {
        "Microsoft.Storage/storageAccounts/blobServices@2025-01-01",
        "Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01",
        "Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01",
    } <= checked
    assert all(library.get(full_type) for full_type in checked if type_key(full_type) not in WITHOUT_DEFINITIONS)


def test_only_the_listed_types_go_unchecked_for_want_of_a_definition(library):
    used = {d.full_type for path in BICEP_FILES for d in declarations(BicepFile.parse(path))}

    assert {type_key(full_type) for full_type in used if library.get(full_type) is None} == WITHOUT_DEFINITIONS


def test_an_unlisted_type_without_a_definition_is_reported(library):
    findings = findings_after(
        library,
        {
            "modules/operations.bicep": (
                "Microsoft.Insights/workbooks@2023-06-01",
                "Microsoft.Insights/workbooks@2022-04-01",
            )
        },
    )

    assert any("no type definition for this API version" in finding for finding in findings)


def test_a_misspelled_property_name_is_reported(library):
    findings = findings_after(library, {"modules/functionapp.bicep": ("httpsOnly:", "httpsonly:")})

    (finding,) = findings
    assert "site (Microsoft.Web/sites@2024-11-01)" in finding
    assert "'properties.httpsonly' is not defined by the type; did you mean 'httpsOnly'?" in finding


def test_a_value_outside_a_closed_enum_is_reported_in_a_nested_child(library):
    edit = ("publicAccess: 'None'", "publicAccess: 'Private'")
    findings = findings_after(library, {"modules/storage.bicep": edit})

    (finding,) = findings
    assert "deploymentContainer (Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01)" in finding
    assert "'properties.publicAccess' = 'Private' is not one of ['Container', 'Blob', 'None']" in finding


def test_an_unknown_api_version_is_reported(library):
    findings = findings_after(library, {"modules/identity.bicep": ("@2023-01-31", "@2023-01-30")})

    (finding,) = findings
    assert "no type definition for this API version; definitions exist for 2023-01-31" in finding


def test_a_missing_required_property_is_reported(library):
    findings = findings_after(library, {"modules/keyvault.bicep": ("family: 'A'", "")})

    assert [f for f in findings if "required property 'properties.sku.family' is missing" in f]


def test_a_read_only_property_that_is_set_is_reported(library):
    findings = findings_after(library, {"modules/monitoring.bicep": ("kind: 'web'", "kind: 'web'\n  id: 'x'")})

    (finding,) = findings
    assert "property 'id' is read-only" in finding


def test_a_literal_outside_its_range_is_reported(library):
    findings = findings_after(library, {"modules/storage.bicep": ("days: 7", "days: 400")})

    (finding,) = findings
    assert "'properties.deleteRetentionPolicy.days' = 400 is outside 1..365" in finding


def test_a_resource_deployed_at_a_scope_its_type_does_not_allow_is_reported(library):
    findings = findings_after(library, {"main.bicep": ("targetScope = 'subscription'", "")})

    assert any(
        "rg (Microsoft.Resources/resourceGroups@2022-09-01): cannot be deployed at this scope" in f for f in findings
    )


def test_a_parameter_allowing_a_value_the_property_does_not_is_reported_through_a_module(library):
    module_params = "    tableName: tableName\n  }\n}\n\nmodule keyVault"
    main = (
        (INFRA / "main.bicep")
        .read_text()
        .replace(
            module_params, module_params.replace("tableName\n", "tableName\n    containerAccess: containerAccess\n", 1)
        )
    )
    storage = (
        (INFRA / "modules/storage.bicep").read_text().replace("publicAccess: 'None'", "publicAccess: containerAccess")
    )
    texts = {
        INFRA / "main.bicep": main
        + "\n@allowed([\n  'None'\n  'Anonymous'\n])\nparam containerAccess string = 'None'\n",
        INFRA / "modules/storage.bicep": storage + "\nparam containerAccess string\n",
    }

    findings = [str(finding) for finding in check_files(BICEP_FILES, library, texts)]

    (finding,) = findings
    assert "deploymentContainer" in finding
    assert "parameter containerAccess allows a value the property does not" in finding
    assert "'Anonymous'" in finding


def test_every_vendored_definition_is_listed_with_its_source_and_checksum():
    listed = dict(re.findall(r"\| `(generated/\S+/types\.json)` \|.*\| `([0-9a-f]{64})` \|", PROVENANCE.read_text()))
    vendored = {str(path.relative_to(TYPES_DIR.parent)): path for path in TYPES_DIR.rglob("types.json")}

    assert set(listed) == set(vendored)
    for name, path in vendored.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == listed[name], name


def test_vendored_definitions_cover_only_api_versions_infra_uses(library):
    used = {d.full_type.lower() for path in BICEP_FILES for d in declarations(BicepFile.parse(path))}
    files = {path.parent for path in TYPES_DIR.rglob("types.json")}

    for folder in files:
        version = folder.name
        assert any(full_type.endswith("@" + version) for full_type in used), Path(folder).relative_to(TYPES_DIR)
