"""A PostgreSQL cluster of the project's own, from Debian's ``postgresql`` binaries.

Server mode keeps Prefect's database and the review store on PostgreSQL. Where no
``database_url`` points at an existing server, ``caunoi flows server`` starts this local one:
``initdb`` into a folder (as the ``postgres`` user when run as root: initdb refuses root),
trust authentication on 127.0.0.1 only, and ``pg_ctl`` to start and stop it.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import shutil
import subprocess
from pathlib import Path

from pipeline.core.errors import CaunoiError

__all__ = ["LocalPostgres", "PostgresError", "postgres_bindir"]

log = logging.getLogger("caunoi.postgres")

#: Where clusters of a root user live (Debian's home of the `postgres` user).
POSTGRES_HOME = Path("/var/lib/postgresql")


class PostgresError(CaunoiError):
    key = "errors.postgres"
    exit_code = 3


def postgres_bindir() -> Path | None:
    """Folder of initdb/pg_ctl (Debian keeps them out of PATH), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class LocalPostgres:
    """One cluster in ``root`` listening on 127.0.0.1:``port``; user ``caunoi``.

    ``durable=False`` is for throwaway clusters (tests): no fsync, no synchronous commit.
    """

    def __init__(self, root: Path, port: int = 5433, durable: bool = True,
                 max_connections: int = 100) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise PostgresError(action="initdb", detail="initdb/pg_ctl not found")
        # initdb refuses to run as root: the cluster belongs to `postgres` then, and lives
        # where `postgres` can reach it (root's home and pytest's folders are private).
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.given = root
        if self.as_user:
            digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
            root = POSTGRES_HOME / f"caunoi-{digest}"
        self.bindir, self.root, self.port = bindir, root.resolve(), port
        self.data = self.root / "data"
        self.durable, self.max_connections = durable, max_connections

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*self.as_user, str(self.bindir / tool), *args],
                              capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise PostgresError(action=tool, detail=(proc.stderr or proc.stdout).strip()[-300:])
        return proc

    def running(self) -> bool:
        return (self.data / "PG_VERSION").is_file() and \
            self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def start(self) -> None:
        """Create the cluster on first use, then start it (nothing to do when running)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.root, "postgres")
        if not (self.data / "PG_VERSION").is_file():
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "caunoi",
                      "-E", "UTF8", "--locale=C.UTF-8", *([] if self.durable else ["--no-sync"]))
        if self.running():
            return
        opts = f"-p {self.port} -h 127.0.0.1 -k {self.root} -c max_connections={self.max_connections}"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                  "-o", opts, "start")
        log.info("PostgreSQL on 127.0.0.1:%d (%s)", self.port, self.data)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` for throwaway clusters: no checkpoint)."""
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "stop", check=False)

    def remove(self) -> None:
        """Stop the server and delete the cluster's folder (throwaway clusters)."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.given, ignore_errors=True)

    def url(self, database: str, driver: str = "psycopg") -> str:
        """SQLAlchemy URL (``psycopg`` for the review store, ``asyncpg`` for Prefect)."""
        return f"postgresql+{driver}://caunoi@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> subprocess.CompletedProcess[str]:
        """Run one SQL statement with ``psql`` (unchecked; tuples only, unaligned)."""
        return subprocess.run([*self.as_user, str(self.bindir / "psql"), "-h", "127.0.0.1",
                               "-p", str(self.port), "-U", "caunoi", "-d", database, "-tAc",
                               sql], capture_output=True, text=True, timeout=60)

    def ensure_database(self, name: str) -> None:
        """Create database ``name`` unless it exists."""
        if self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").stdout.strip() \
                != "1":
            made = self.psql(f'CREATE DATABASE "{name}"')
            if made.returncode != 0:
                raise PostgresError(action="createdb", detail=made.stderr.strip()[-300:])

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` (if it exists), closing its connections."""
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
