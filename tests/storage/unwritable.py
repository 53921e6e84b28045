"""Stores that cannot be written: folders made so two ways, and S3 buckets.

``chmod 0555`` stops everyone but root, and tests may run as root; an immutable folder
(``chattr +i``) stops root too, where the file system and the capability allow it. Each
way skips, saying why, only where it cannot work. A bucket is made read-only by a policy
denying every put (SeaweedFS enforces an explicit deny even for its admin).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from minio import Minio

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


def deny_writes(client: Minio, bucket: str) -> None:
    """The bucket refuses every put from now on; reads go on."""
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:PutObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/*"],
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    client.set_bucket_policy(bucket, json.dumps(policy))
