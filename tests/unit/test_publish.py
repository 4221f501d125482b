"""A step's output folder changes as one generation: readers see the old files or the new ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.reports import exchange, publish_folder

pytestmark = pytest.mark.unit


def write(folder: Path, generation: str) -> None:
    for name in ("documents.parquet", "chunks.parquet"):
        (folder / name).write_text(generation)


def test_a_generation_replaces_the_folder_whole(tmp_path: Path) -> None:
    folder = tmp_path / "curated"
    with publish_folder(folder) as staging:
        write(staging, "one")
    with publish_folder(folder) as staging:
        write(staging, "two")
    assert {p.name: p.read_text() for p in folder.iterdir()} == {
        "documents.parquet": "two",
        "chunks.parquet": "two",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curated"]  # no staging left


def test_a_writer_failing_half_way_leaves_the_previous_generation(tmp_path: Path) -> None:
    folder = tmp_path / "curated"
    with publish_folder(folder) as staging:
        write(staging, "one")
    with pytest.raises(RuntimeError), publish_folder(folder) as staging:
        (staging / "documents.parquet").write_text("two")
        raise RuntimeError("killed between two files")
    assert {p.read_text() for p in folder.iterdir()} == {"one"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curated"]


def test_linux_swaps_two_folders_in_one_step(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    assert exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b" / "x").read_text() == "a" and not (tmp_path / "a" / "x").exists()
