"""Files that hold patient data and appear only when complete: written to an owner-only (0600) partial file beside
their target, then published under the target's name without replacing an existing file unless asked to. Used by
``flask backup`` (backup.py) and ``flask export-fhir`` (staff/fhir_bulk.py). Standard library only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MODE = 0o600


def partial_file(directory: Path, name: str) -> Path:
    """An empty 0600 file in ``directory`` to write ``name`` into (``publish`` gives it that name). Raises
    ``OSError`` when the directory cannot be written."""
    handle, path = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".partial")
    os.close(handle)  # mkstemp makes it 0600 whatever the umask
    return Path(path)


def publish(partial: Path, target: Path, *, force: bool) -> None:
    """Give the finished ``partial`` the name ``target`` (0600). Without ``force`` an existing ``target``, even one
    that appeared meanwhile, is never replaced: ``FileExistsError``."""
    os.chmod(partial, MODE)
    if force:
        os.replace(partial, target)
        return
    try:
        os.link(partial, target)  # fails if target exists: atomic, unlike a check then a rename
    except FileExistsError:
        raise  # the target exists (not the case below, though FileExistsError is an OSError too)
    except OSError:  # a file system without hard links: check, then rename
        if target.exists():
            raise FileExistsError(target) from None
        os.replace(partial, target)
    partial.unlink(missing_ok=True)
