"""``caunoi flows serve|run|state|resume``: server mode (needs PREFECT_API_URL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flows.cli.common import csv_list, lesson_id, msg
from pipeline.core.config import Settings

__all__ = ["register"]


def _server(settings: Settings) -> int:
    """PostgreSQL + Prefect server + work pool + deployments (+ the lost-run watch), until
    Ctrl+C."""
    import threading

    from flows.deploy import deploy_all, start_server
    from flows.lease import watch

    proc, api_url = start_server(settings)
    stop = threading.Event()
    try:
        for name in deploy_all(settings, api_url):
            print(msg("deployed", name=name))
        print(msg("server_ready", url=api_url, pool=settings.work_pool), flush=True)
        # Runs whose worker died (no heartbeats) or whose disk filled run again elsewhere.
        threading.Thread(target=watch, args=(api_url, stop), daemon=True).start()
        proc.wait()
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=30)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """A process worker: runs the deployments' flow runs on this machine."""
    import os

    from flows.deploy import start_worker

    api_url = os.environ.get("PREFECT_API_URL") or \
        f"http://127.0.0.1:{settings.prefect_port}/api"
    print(msg("worker", pool=settings.work_pool, url=api_url, limit=args.limit), flush=True)
    return _supervise(lambda: start_worker(settings, api_url, limit=args.limit,
                                           name=args.name or ""), settings.work_dir)


def _supervise(start: Any, work_dir: Path) -> int:
    """Run the Prefect worker; while this machine's disk is marked full (``flows.lease``),
    stop it so that it takes no runs, and start it again afterwards."""
    import time

    from flows.lease import DISK_FULL_MARKER, disk_pause_left

    proc = None
    try:
        while True:
            left = disk_pause_left(work_dir)
            if left and proc is not None:
                print(msg("worker_disk_full", seconds=int(left),
                          marker=work_dir / DISK_FULL_MARKER), flush=True)
                proc.terminate()
                proc.wait(timeout=120)
                proc = None
            elif not left and proc is None:
                proc = start()
            elif proc is not None and proc.poll() is not None:
                return int(proc.returncode)
            time.sleep(2)
    finally:
        if proc is not None:
            proc.terminate()


def cmd_flows(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the deployment, start runs, inspect them, resume a waiting one."""
    from flows.env import configure_prefect_env

    configure_prefect_env(settings.prefect_home)
    if args.flows_cmd == "server":
        return _server(settings)
    from flows import server

    if args.flows_cmd == "serve":
        print(msg("serving_flows", name=server.DEPLOYMENT), flush=True)
        server.produce_lesson_reviewed.serve(name="produce", limit=args.limit)
        return 0
    if args.flows_cmd == "run":
        from prefect.deployments import run_deployment

        # A folder runs as it is (this machine's disk); anything else is a lesson id that
        # workers stage in from the shared storage (Settings.storage_url).
        where: dict[str, object] = (
            {"lesson_dir": str(args.lesson.resolve()), "out_dir": str(settings.out_dir)}
            if args.lesson.is_dir() else {"lesson_id": lesson_id(str(args.lesson))})
        run = run_deployment(server.DEPLOYMENT, timeout=0, parameters=where | {
            "languages": list(csv_list(args.languages) or []) or None,
            "profiles": list(csv_list(args.profiles) or []) or None})
        print(run.id)  # type: ignore[union-attr]  # sync call: a FlowRun
        return 0
    if args.flows_cmd == "state":
        from uuid import UUID

        from prefect import get_client

        with get_client(sync_client=True) as client:
            state = client.read_flow_run(UUID(args.run_id)).state
        print(state.name if state else "UNKNOWN")
        return 0
    lesson = lesson_id(args.lesson)
    resumed = server.resume_for_lesson(settings.out_dir, lesson, args.lang)
    print(msg("resumed" if resumed else "not_waiting", lesson=lesson))
    return 0 if resumed else 1


def register(sub: Any) -> None:
    sp = sub.add_parser("flows", help="Chế độ máy chủ Prefect: serve / run / state / resume")
    fsub = sp.add_subparsers(dest="flows_cmd", required=True, metavar="ACTION")
    fsv = fsub.add_parser("server", help="máy chủ Prefect trên PostgreSQL + deployment "
                                         "(Prefect server on PostgreSQL, work pool, deployments)")
    fsv.add_argument("--out", type=Path, default=None)
    fs = fsub.add_parser("serve", help="phục vụ deployment (serve the deployment)")
    fs.add_argument("--limit", type=int, default=2, help="số lượt chạy song song")
    fs.add_argument("--out", type=Path, default=None)
    fr = fsub.add_parser("run", help="bắt đầu một lượt chạy (start a run)")
    fr.add_argument("lesson", type=Path, metavar="LESSON",
                    help="thư mục bài học, hoặc mã bài học trong kho dùng chung "
                         "(a lesson folder, or a lesson id in the shared storage)")
    fr.add_argument("--languages")
    fr.add_argument("--profiles")
    fr.add_argument("--out", type=Path, default=None)
    fst = fsub.add_parser("state", help="trạng thái lượt chạy (state of a run)")
    fst.add_argument("run_id")
    fre = fsub.add_parser("resume", help="tiếp tục lượt chạy đang chờ (resume a waiting run)")
    fre.add_argument("lesson", metavar="LESSON")
    fre.add_argument("--lang", required=True)
    fre.add_argument("--out", type=Path, default=None)
    sp.set_defaults(func=cmd_flows)

    sp = sub.add_parser("worker", help="Máy chạy việc cho máy chủ Prefect (a work-pool worker)")
    sp.add_argument("--limit", type=int, default=1,
                    help="số lượt chạy cùng lúc trên máy này (flow runs at once)")
    sp.add_argument("--name", default=None, help="tên máy chạy việc (worker name)")
    sp.add_argument("--out", type=Path, default=None, help="thư mục kết quả dùng chung")
    sp.set_defaults(func=cmd_worker)
