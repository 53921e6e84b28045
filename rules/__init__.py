"""The rules as data: every YAML file office staff may edit, in one folder.

The forms (``templates/``), the campaign and the online export's columns, and the
thresholds and patterns each stage reads. Nothing here is code; ``RULES_DIR`` locates the
folder for the loaders, which validate every file when it is read.
"""

from __future__ import annotations

from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent
"""The shipped rules folder."""
