"""Reader snapshots of an embedded shard: sparse-aware copies, cleaned up when their reader died."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


def copy_sparse(src: str, dst: str) -> str:
    """copy2 that keeps holes: qdrant preallocates 32 MiB sparse files that copy2 would fill."""
    with open(src, "rb") as source, open(dst, "wb") as target:
        size = os.fstat(source.fileno()).st_size
        offset = 0
        while offset < size:
            try:
                start = os.lseek(source.fileno(), offset, os.SEEK_DATA)
            except OSError as error:
                if error.errno != errno.ENXIO:  # ENXIO: only a hole is left
                    raise
                break
            end = os.lseek(source.fileno(), start, os.SEEK_HOLE)
            target.seek(start)
            for block_start in range(start, end, 1 << 20):
                target.write(
                    os.pread(source.fileno(), min(1 << 20, end - block_start), block_start)
                )
            offset = end
        target.truncate(size)
    shutil.copystat(src, dst)
    return dst


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_snapshots(snapshots_dir: Path) -> None:
    """Snapshots of readers that died without close(): named `<pid>-...`."""
    for entry in snapshots_dir.iterdir():
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
