"""The coordinator of ``bench_cluster.py`` and one pass of lessons through it (with or
without faults). Everything on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from cluster_nodes import Gate, Worker, stop_group

from flows.env import free_port

#: Output files whose bytes must not depend on faults.
COMPARED = ("alignment.json", "subtitles/", "video/", "audio/")


class Cluster:
    """PostgreSQL, the Prefect server (+ deployments, the lost-run watch), the web app and
    a moto S3 server behind a :class:`Gate`."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        from pipeline.core.config import load_settings

        self.root, self.env = root, env
        self.settings = load_settings(env=env)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.stop_watch = threading.Event()
        self.api_url = self.web_url = ""
        self.gate: Gate | None = None
        self.pg: Any = None

    def _spawn(self, args: list[str], name: str, env: dict[str, str]) -> None:
        with (self.root / f"{name}.log").open("ab") as log:
            self.procs.append(subprocess.Popen(args, env=env, stdout=log,
                                               stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def start(self) -> None:
        from flows.deploy import deploy_all, start_server
        from flows.lease import watch
        from flows.postgres import LocalPostgres

        self.pg = LocalPostgres(self.settings.postgres_dir, self.settings.postgres_port,
                                durable=False)
        server, self.api_url = start_server(self.settings)
        self.procs.append(server)
        os.environ["PREFECT_API_URL"] = self.api_url
        deploy_all(self.settings, self.api_url)
        threading.Thread(target=watch, args=(self.api_url, self.stop_watch, 5.0),
                         daemon=True).start()
        moto = free_port()
        self._spawn([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto)],
                    "moto", dict(os.environ))
        _wait_http(f"http://127.0.0.1:{moto}/")
        self.gate = Gate(moto)
        self.env |= {"PREFECT_API_URL": self.api_url,
                     "CAUNOI_S3_ENDPOINT": f"http://127.0.0.1:{self.gate.port}",
                     "CAUNOI_DATABASE_URL": self.pg.url("caunoi_review")}
        os.environ.update(self.env)
        import fsspec

        fsspec.filesystem("s3", client_kwargs={"endpoint_url": self.env["CAUNOI_S3_ENDPOINT"]},
                          skip_instance_cache=True).mkdir("caunoi")
        web = free_port()
        self._spawn([sys.executable, "-m", "flows.cli", "review", "serve", "--host",
                     "127.0.0.1", "--port", str(web)], "web", dict(os.environ))
        self.web_url = f"http://127.0.0.1:{web}"
        _wait_http(self.web_url + "/healthz")

    def stop(self) -> None:
        self.stop_watch.set()
        for proc in reversed(self.procs):
            stop_group(proc, grace_s=20)
        if self.gate is not None:
            self.gate.close()
        if self.pg is not None:
            self.pg.remove()

    def web_login_status(self) -> int:
        """A sign-in attempt with a wrong password on the web app: 401 means the app read
        the review store (PostgreSQL) and answered; 5xx or 0 (no answer) means it did not."""
        import http.cookiejar
        import re
        import urllib.parse

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self._probes = getattr(self, "_probes", 0) + 1
        try:
            with opener.open(self.web_url + "/login", timeout=30) as r:
                token = re.search(r'name="csrf" value="([^"]+)"', r.read().decode())
            form = urllib.parse.urlencode({"username": f"bench-probe-{self._probes}",
                                           "password": "wrong", "csrf": token.group(1)
                                           if token else ""}).encode()
            with opener.open(self.web_url + "/login", data=form, timeout=60) as r:
                return int(r.status)
        except urllib.error.HTTPError as e:
            return int(e.code)
        except OSError:
            return 0


def _wait_http(url: str, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"no answer from {url}")


def _workers(cluster: Cluster, label: str, n: int, disk_full: bool) -> list[Worker]:
    disks, mount_at = cluster.root / label / "disks", cluster.root / label / "disk"
    hide = [cluster.root / "coord", cluster.pg.root, disks]
    env = dict(os.environ) | {"CAUNOI_STORAGE_URL": f"s3://caunoi/{label}",
                              "CAUNOI_WORK_DIR": str(mount_at / "work"),
                              "CAUNOI_OUT_DIR": str(mount_at / "out"),
                              "CAUNOI_LESSONS_DIR": str(mount_at / "lessons"),
                              "CAUNOI_PREFECT_HOME": str(mount_at / "prefect")}
    found = []
    for i in range(n):
        w = Worker(f"{label}-w{i}", disks / f"w{i}", mount_at, hide, env,
                   cluster.root / f"{label}-w{i}.log", disk_mb=1 if disk_full and i == 0
                   else 0)
        w.start()
        found.append(w)
    return found


def _hand_in(cluster: Cluster, label: str, lessons: list[Path]) -> dict[str, str]:
    """What the portal does: the lesson in ``lessons_dir``, then ``PrefectLauncher.start``."""
    import shutil

    from flows.launcher_prefect import PrefectLauncher

    settings = replace(cluster.settings, storage_url=f"s3://caunoi/{label}",
                       s3_endpoint=cluster.env["CAUNOI_S3_ENDPOINT"],
                       lessons_dir=cluster.root / "coord" / label / "lessons",
                       out_dir=cluster.root / "coord" / label / "out",
                       work_dir=cluster.root / "coord" / label / "work")
    launcher = PrefectLauncher(settings)
    runs = {}
    for src in lessons:
        shutil.copytree(src, settings.lessons_dir / src.name, dirs_exist_ok=True)
        runs[src.name] = launcher.start("produce", src.name,
                                        params={"languages": ["vi"]}).run_id
    return runs


def store_hashes(cluster: Cluster, label: str, lesson_ids: list[str]) -> dict[str, Any]:
    """Per lesson: sha256 of the compared outputs on the store, and whether every file the
    manifest lists is there and no ``.part`` is left."""
    import fsspec

    fs = fsspec.filesystem("s3", client_kwargs={"endpoint_url": cluster.env[
        "CAUNOI_S3_ENDPOINT"]}, skip_instance_cache=True)
    hashes, checks = {}, {}
    for lid in lesson_ids:
        base = f"caunoi/{label}/output/{lid}"
        files = [p[len(base) + 1:] for p in fs.find(base)] if fs.isdir(base) else []
        hashes[lid] = {rel: hashlib.sha256(fs.cat_file(f"{base}/{rel}")).hexdigest()
                       for rel in sorted(files) if rel.startswith(COMPARED)}
        listed = []
        if "manifest.json" in files:
            manifest = json.loads(fs.cat_file(f"{base}/manifest.json"))
            listed = [str(f.get("path", "")) for f in manifest.get("files", [])]
        checks[lid] = {"manifest": "manifest.json" in files,
                       "listed_missing": [p for p in listed if p and p not in files],
                       "part_files": [f for f in files if f.endswith(".part")]}
    return {"hashes": hashes, "store_checks": checks}


def run_pass(cluster: Cluster, label: str, lessons: list[Path], n_workers: int,
             faults: list[str], timeout_s: float) -> dict[str, Any]:
    from cluster_faults import Monitor

    workers = _workers(cluster, label, n_workers, "disk-full" in faults)
    try:
        t0 = time.time()
        runs = _hand_in(cluster, label, lessons)
        monitor = Monitor(cluster, label, workers, runs, faults)
        monitor.run(timeout_s)
        wall = time.time() - t0
    finally:
        for w in workers:
            w.stop()
    result = monitor.report()
    result |= {"label": label, "wall_s": round(wall, 1),
               "lessons_per_hour": round(3600 * result["completed"] / wall, 2)}
    result |= store_hashes(cluster, label, list(runs))
    return result
