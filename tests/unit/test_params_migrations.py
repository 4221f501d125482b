"""Params registered by an older tandem still read back, answering as they were evaluated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.errors import ParamsError
from tasks.params_loader import parse_params, read_tree
from tasks.params_migrations import ADDED_KEYS, has_key, migrate_registered

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]
REGISTERED = REPO / "tests" / "data" / "registered_params"  # params.yaml at those commits


def registered(commit: str) -> dict:
    return json.loads((REGISTERED / f"{commit}.json").read_text())


def test_every_migrated_key_is_a_key_of_params_yaml() -> None:
    tree = read_tree(REPO / "params.yaml")
    assert [key for key in ADDED_KEYS if not has_key(tree, key)] == []


@pytest.mark.parametrize("commit", ["a2afaef", "fb8b5f7"])
def test_params_registered_by_an_older_tandem_parse(commit: str) -> None:
    """Fails when a key is added to params.yaml without its line in ADDED_KEYS."""
    migrated, filled = migrate_registered(registered(commit))
    params = parse_params(migrated)
    assert params.model.base == registered(commit)["model"]["base"]
    assert filled, "each fixture predates a key"


def test_a_filled_key_keeps_the_old_behaviour_not_todays_default() -> None:
    old = registered("a2afaef")
    assert not has_key(old, "generate.no_repeat_ngram_size")
    params = parse_params(migrate_registered(old)[0])
    today = parse_params(read_tree(REPO / "params.yaml"))
    assert today.generate.no_repeat_ngram_size != 0  # else this test shows nothing
    assert params.generate.no_repeat_ngram_size == 0
    assert params.embedding.batch_invariant is False
    assert params.finetune_embedder.enabled is False
    assert params.generate.quote_open is None


def test_a_registered_value_is_never_overwritten() -> None:
    old = registered("fb8b5f7")
    assert old["generate"]["no_repeat_ngram_size"] == 6
    migrated, filled = migrate_registered(old)
    assert "generate.no_repeat_ngram_size" not in filled
    assert migrated["generate"]["no_repeat_ngram_size"] == 6
    assert "quote_open" not in old["generate"]  # the input is left as it was


def test_a_missing_key_the_table_does_not_know_is_an_error_naming_it() -> None:
    old = registered("fb8b5f7")
    del old["generate"]["max_new_tokens"]
    with pytest.raises(ParamsError, match=r"generate\.max_new_tokens: required key is missing"):
        parse_params(migrate_registered(old)[0], origin="registered model config")
