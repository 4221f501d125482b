"""Files every step writes: atomic replacement, JSON reports and manifests, content hashes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any


def to_jsonable(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialize {type(obj).__name__}")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary sibling to write; moved over `path` only when the block succeeds, so a
    reader (or a kill -9) never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


RENAME_EXCHANGE = 2  # renameat2 flag: swap two paths in one step


def exchange(first: Path, second: Path) -> bool:
    """Swap two directories atomically (Linux renameat2); False where the OS cannot."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100
    done = renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), RENAME_EXCHANGE)
    return done == 0


@contextlib.contextmanager
def publish_folder(folder: Path) -> Iterator[Path]:
    """A staging folder to fill; when the block succeeds it replaces `folder` in one step, so
    a reader sees the previous generation of every file in it or the new one, never a mix,
    even if the writer is killed half-way. The staging folder of a failed block is removed."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield staging
        if not folder.exists():
            os.rename(staging, folder)
        elif not exchange(staging, folder):  # not Linux: a moment without the folder
            old = staging.with_name(staging.name + ".old")
            os.rename(folder, old)
            os.rename(staging, folder)
            staging = old
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_text_atomic(path: Path, text: str) -> Path:
    """Text written, flushed to disk, then moved into place (and the move made durable)."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path


def write_json_atomic(path: Path, payload: Any) -> Path:
    text = json.dumps(payload, indent=2, sort_keys=False, default=to_jsonable)
    return write_text_atomic(path, text + "\n")


def write_jsonl_atomic(path: Path, rows: Iterable[Any]) -> Path:
    lines = (json.dumps(row, ensure_ascii=False, default=to_jsonable) + "\n" for row in rows)
    return write_text_atomic(path, "".join(lines))


def write_report(reports_dir: Path, name: str, report: Any) -> Path:
    return write_json_atomic(reports_dir / f"{name}.json", report)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
