"""Folders a store cannot write to, made two ways.

``chmod 0555`` stops everyone but root, and tests may run as root; an immutable folder
(``chattr +i``) stops root too, where the file system and the capability allow it. Each
way skips, saying why, only where it cannot work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

WAYS = ("chmod", "immutable")


@contextmanager
def unwritable(folder: Path, way: str) -> Iterator[None]:
    """``folder`` (existing) cannot be written inside the block; restored after."""
    if way == "chmod":
        if os.geteuid() == 0:
            pytest.skip("running as root: chmod 0555 does not stop root (the immutable way does)")
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("chattr not installed: cannot make a folder immutable")
    made = subprocess.run([chattr, "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a folder immutable here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)
