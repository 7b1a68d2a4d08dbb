"""Every Bicep file is valid syntax for two independent parsers (no Bicep compiler runs offline)."""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter_bicep
from bicep_templates import BICEP_FILES, INFRA
from pycep import BicepParser
from tree_sitter import Language, Parser

FILE_IDS = [str(path.relative_to(INFRA)) for path in BICEP_FILES]


def test_infra_holds_the_orchestrator_and_its_modules():
    assert {"main.bicep", "modules/rbac.bicep", "modules/functionapp.bicep"} <= set(FILE_IDS)


@pytest.mark.parametrize("path", BICEP_FILES, ids=FILE_IDS)
def test_bicep_file_parses_with_pycep(path: Path):
    tree = BicepParser().parse(file_path=path)

    assert tree.get("resources") or tree.get("modules")


@pytest.mark.parametrize("path", BICEP_FILES, ids=FILE_IDS)
def test_bicep_file_parses_with_tree_sitter_without_errors(path: Path):
    tree = Parser(Language(tree_sitter_bicep.language())).parse(path.read_bytes())

    assert not tree.root_node.has_error, f"{path.name}: syntax error near {_first_error(tree.root_node)}"


def test_a_syntax_error_is_detected_by_both_parsers():
    broken = "resource site 'Microsoft.Web/sites@2024-11-01' = {\n  name: \n}\n"

    tree = Parser(Language(tree_sitter_bicep.language())).parse(broken.encode())

    assert tree.root_node.has_error
    with pytest.raises(Exception):  # noqa: B017 # pycep raises a lark error of varying type
        BicepParser().parse(text=broken)


def _first_error(node) -> str:
    if node.is_error or node.is_missing:
        return f"line {node.start_point[0] + 1}"
    for child in node.children:
        if found := _first_error(child):
            return found
    return ""
