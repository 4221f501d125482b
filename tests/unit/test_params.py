from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tasks.errors import ParamsError
from tasks.params_loader import load_params

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]
PARAMS = REPO / "params.yaml"


def test_repo_params_load_and_are_frozen() -> None:
    params = load_params(PARAMS)
    assert params.finetune.lora.r > 0
    assert params.validate_.min_chars <= params.validate_.max_chars
    with pytest.raises(Exception, match="frozen"):
        params.finetune.lora.r = 3  # type: ignore[misc]


def test_override_parses_yaml_values_like_dvc() -> None:
    params = load_params(
        PARAMS, ["finetune.lora.r=8", "index.exact=true", "retrieve.visibility=[public]"]
    )
    assert params.finetune.lora.r == 8
    assert params.index.exact is True
    assert params.retrieve.visibility == ("public",)


def test_paths_are_relative_to_out_dir_unless_absolute(tmp_path: Path) -> None:
    params = load_params(PARAMS, [f"paths.out_dir={tmp_path}", "paths.index=/abs/index"])
    assert params.paths.reports_dir == tmp_path / "reports"
    assert params.paths.index_dir == Path("/abs/index")


@pytest.mark.parametrize(
    ("override", "names"),
    [
        ("finetune.max_steps=abc", "finetune.max_steps"),
        ("finetune.lora.rank=4", "finetune.lora.rank"),
        ("index.backend=pinecone", "index.backend"),
        ("validate.max_quarantine_fraction=1.5", "validate.max_quarantine_fraction"),
        ("curate.chunk_overlap=500", "chunk_overlap"),
        ("nosuchsection.x=1", "nosuchsection"),
        ("finetune.lora=3", "finetune.lora"),
    ],
)
def test_bad_values_name_the_key(override: str, names: str) -> None:
    with pytest.raises(ParamsError) as error:
        load_params(PARAMS, [override])
    assert names in str(error.value)
    assert error.value.exit_code == 2


def test_unknown_key_in_file_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "params.yaml"
    bad.write_text(PARAMS.read_text() + "\nextra_section:\n  a: 1\n")
    with pytest.raises(ParamsError, match="extra_section: unknown key"):
        load_params(bad)


def test_missing_file_names_it() -> None:
    with pytest.raises(ParamsError, match=r"missing\.yaml"):
        load_params("missing.yaml")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "-S", "finetune.max_steps=abc"], "finetune.max_steps"),
        (["run", "--params", "missing.yaml"], "missing.yaml"),
    ],
)
def test_cli_exits_2_with_one_line_and_no_traceback(args: list[str], expected: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1


def test_the_source_folders_params_are_layered_between_the_root_and_overrides(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "mydata"
    folder.mkdir()
    (folder / "params.yaml").write_text(
        "sft:\n  abstain_response: Das weiß ich nicht.\nprompt:\n  context_chars: 300\n"
    )
    neutral = load_params(PARAMS, [f"paths.source_dir={tmp_path}"])  # a folder without one
    layered = load_params(PARAMS, [f"paths.source_dir={folder}"])
    assert neutral.sft.abstain_response != "Das weiß ich nicht."
    assert layered.sft.abstain_response == "Das weiß ich nicht."
    assert layered.prompt.context_chars == 300 and layered.prompt.system == neutral.prompt.system
    overridden = load_params(PARAMS, [f"paths.source_dir={folder}", "prompt.context_chars=500"])
    assert overridden.prompt.context_chars == 500  # -S wins over the folder's values


def test_an_overlay_key_the_root_does_not_have_names_the_overlay(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("sft:\n  abstain_text: typo\n")
    with pytest.raises(ParamsError, match=r"params.yaml: sft.abstain_text.*unknown key"):
        load_params(PARAMS, [f"paths.source_dir={tmp_path}"])


def test_the_sample_declares_its_own_style_and_the_root_is_domain_neutral() -> None:
    root = load_params(PARAMS, ["paths.source_dir=/nonexistent"])
    sample = load_params(PARAMS)
    assert root.evaluate.answer_format is None and root.retrieve.profile_source is None
    assert "Larkspur" not in root.prompt.system + root.sft.abstain_response
    assert sample.evaluate.answer_format and sample.retrieve.profile_source == "customer"
    assert "Larkspur" in sample.prompt.system and "Tier 2" in sample.sft.abstain_response
