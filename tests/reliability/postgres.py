"""A PostgreSQL cluster of one test's own: initdb into a temporary folder, served on a port of its own
(127.0.0.1), stopped and started by the test. Restarting it hurts no other test: the shared server
on 5432 (and every other session's schemas on it) is never touched.

The binaries are Debian's (/usr/lib/postgresql/<version>/bin). PostgreSQL refuses to run as root, so
as root (CI, this machine) the cluster belongs to the `postgres` user and is driven through runuser."""
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers import free_port

COMMAND_SECONDS = 120


def binaries():
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


class ScratchCluster:
    def __init__(self):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql")
        self.as_postgres = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="citygrid-pg-"))
        if self.as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self.data, self.log = self.folder / "data", self.folder / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program, *args):
        command = [str(self.bin / program), *map(str, args)]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_SECONDS)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stdout}{done.stderr}{self.server_log()}")

    def init(self):
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        return self

    def start(self):
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
                   "-c max_connections=60")
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self, mode="fast"):
        """`fast`, as `pg_ctlcluster restart` does: open sessions are ended, open transactions rolled back."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def server_log(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def remove(self):
        try:
            self.stop("immediate")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass        # not running
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def cluster():
    """A started ScratchCluster, removed afterwards (import this fixture into the test module);
    skipped without PostgreSQL's binaries, and failed so under CI."""
    if binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL's binaries (/usr/lib/postgresql/*/bin) for a cluster of its own")
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql")
    cluster = ScratchCluster()
    try:
        yield cluster.init().start()
    finally:
        cluster.remove()
