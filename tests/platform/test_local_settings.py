"""Reading local.settings.json, the one place its ``Values`` are read (local host, admin, scripts/run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scim.platform.local_settings import UnreadableSettings, read_settings, settings_values


def write(directory: Path, settings: object) -> Path:
    path = directory / "local.settings.json"
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


def test_values_are_read_as_strings_and_other_json_as_its_text(tmp_path: Path):
    path = write(tmp_path, {"IsEncrypted": False, "Values": {"NAME": "x", "ON": True, "TOKENS": {"t": "a"}}})

    assert settings_values(path) == {"NAME": "x", "ON": "true", "TOKENS": '{"t": "a"}'}


def test_a_missing_file_has_no_values(tmp_path: Path):
    assert settings_values(tmp_path / "local.settings.json") == {}


def test_a_file_without_values_has_none(tmp_path: Path):
    assert settings_values(write(tmp_path, {"IsEncrypted": False})) == {}


def test_an_encrypted_file_is_refused(tmp_path: Path):
    with pytest.raises(UnreadableSettings, match="encrypted"):
        settings_values(write(tmp_path, {"IsEncrypted": True, "Values": {"NAME": "x"}}))


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"Values": ["NAME"]}'])
def test_a_file_that_is_no_settings_object_is_refused(tmp_path: Path, text: str):
    path = tmp_path / "local.settings.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(UnreadableSettings):
        settings_values(path)


def test_the_whole_document_is_read_for_rewriting(tmp_path: Path):
    settings = {"IsEncrypted": False, "Values": {"NAME": "x"}, "Host": {"LocalHttpPort": 7071}}

    assert read_settings(write(tmp_path, settings)) == settings
