"""Run launchers for the web app (``pipeline.core.runs.RunLauncher``).

* :class:`EmbeddedLauncher` — no server configured: each run is a background process on the
  web app's machine (the step plan, as ``caunoi produce --no-prefect`` runs it), one at a
  time (a file lock under the output folder; a run waiting for it is "queued"). A run's
  state is a small JSON file, ``OUT/<lesson>/.state/runs/<run-id>.json``, written only by
  its own process; the web app checks the process id (and its start time, against pid
  reuse), so a killed run shows "failed", never "running" forever.
* :class:`flows.launcher_prefect.PrefectLauncher` — server mode: deployment runs.

:func:`make_launcher` picks one: server mode when ``PREFECT_API_URL`` is set.

    python -m flows.launcher RUN_FILE      # the background process (started by start())
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from pipeline.core.config import Settings, load_settings
from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import UI_LANGUAGES, t
from pipeline.core.runs import RUN_KINDS, RunInfo, RunKind, RunLauncher, RunState
from pipeline.core.storage import atomic_write_json
from pipeline.portal.run_messages import failure_messages
from pipeline.portal.strings import PORTAL

__all__ = ["STEP_NAMES", "EmbeddedLauncher", "make_launcher", "process_alive"]

log = logging.getLogger("caunoi.launcher")

#: The plan's steps, in order (pipeline.steps.PLAN), as the pages show progress.
STEP_NAMES: tuple[str, ...] = ("ingest", "audio", "transcribe", "align", "subtitles",
                               "translate", "review", "dub", "render", "manifest")
#: A run whose process never wrote its pid file within this time failed to start (s).
_START_GRACE_S = 60.0
_KEEP_RUNS = 30
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _proc_start(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" when it does not exist)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return ""
    # Field 22; the command name (field 2) may hold spaces, so count from its ')'.
    return stat.rsplit(")", 1)[-1].split()[19]


def process_alive(pid: int, start: str) -> bool:
    """Whether process ``pid`` still runs and is the one that started at ``start``."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = _proc_start(pid)
    if not now:
        return sys.platform != "linux"
    # A zombie (killed, not yet reaped by its parent) is not running any more.
    state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[-1].split()
    return now == start and state[0] != "Z"


def _runs_dir(out_dir: Path, lesson_id: str) -> Path:
    return out_dir / lesson_id / ".state" / "runs"


def _settings_json(settings: Settings) -> dict[str, Any]:
    """The web app's settings, for the run's process to use exactly (paths absolute)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, Path):
            value = str(value.resolve())
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _said(text: Callable[[str | None], str]) -> dict[str, Any]:
    """A run message in every UI language (the pages show each user theirs) and in the
    process's own ("message": logs, the CLI)."""
    return {"message": text(None), "messages": {lang: text(lang) for lang in UI_LANGUAGES}}


def _say(key: str, **values: object) -> dict[str, Any]:
    return _said(lambda lang: t(key, lang, **values))


def _info(data: dict[str, Any]) -> RunInfo:
    return RunInfo(run_id=str(data["run_id"]), kind=cast(RunKind, data["kind"]),
                   lesson_id=str(data["lesson_id"]), state=cast(RunState, data["state"]),
                   language=data.get("language"), message=str(data.get("message", "")),
                   messages={str(k): str(v) for k, v in dict(data.get("messages", {})).items()},
                   steps=dict(data.get("steps", {})), started_at=data.get("started_at"),
                   ended_at=data.get("ended_at"))


class EmbeddedLauncher:
    """One background process per run, one run at a time on this machine."""

    mode = "embedded"

    def __init__(self, settings: Settings, python: str = sys.executable) -> None:
        self.settings = settings
        self.out_dir = Path(settings.out_dir).resolve()
        self.lessons_dir = Path(settings.lessons_dir).resolve()
        self.python = python
        self._children: list[subprocess.Popen[bytes]] = []

    def start(self, kind: RunKind, lesson_id: str, *, language: str | None = None,
              params: dict[str, object] | None = None) -> RunInfo:
        if kind not in RUN_KINDS:
            raise ValueError(f"unknown run kind {kind!r}")
        folder = _runs_dir(self.out_dir, lesson_id)
        folder.mkdir(parents=True, exist_ok=True)
        # Looking for the same run and starting one, under one lock: 20 presses of a button
        # at once started 3 draft runs instead of 1 (red team).
        with open(folder / ".start.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._start(folder, kind, lesson_id, language, params)

    def _start(self, folder: Path, kind: RunKind, lesson_id: str, language: str | None,
               params: dict[str, object] | None) -> RunInfo:
        bundle = bool((params or {}).get("bundle"))
        for run in self._active(lesson_id):
            if (run["kind"], run.get("language"), bool(run["params"].get("bundle"))) == (
                    kind, language, bundle):
                return _info(run)
        run_id = uuid.uuid4().hex[:16]
        data: dict[str, Any] = {
            "run_id": run_id, "kind": kind, "lesson_id": lesson_id, "language": language,
            "state": "queued", **_say("portal.run_queued"), "created_at": time.time(),
            "steps": {s: "pending" for s in STEP_NAMES} if kind in ("produce", "render")
            else {},
            "params": dict(params or {}), "out_dir": str(self.out_dir),
            "lessons_dir": str(self.lessons_dir), "settings": _settings_json(self.settings)}
        path = folder / f"{run_id}.json"
        atomic_write_json(path, data)
        env = os.environ | {"PYTHONPATH": os.pathsep.join(
            [str(_PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.Popen([self.python, "-m", "flows.launcher", str(path)],
                                env=env, start_new_session=True, cwd=os.getcwd(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(folder / f"{run_id}.log", "ab"))  # noqa: SIM115
        atomic_write_json(folder / f"{run_id}.pid",
                          {"pid": proc.pid, "start": _proc_start(proc.pid)})
        self._children.append(proc)
        self._prune(folder)
        return _info(data)

    def runs(self, lesson_id: str) -> list[RunInfo]:
        return [_info(d) for d in self._read(lesson_id)]

    def _active(self, lesson_id: str) -> list[dict[str, Any]]:
        return [d for d in self._read(lesson_id) if d["state"] in ("queued", "running")]

    def _read(self, lesson_id: str) -> list[dict[str, Any]]:
        folder = _runs_dir(self.out_dir, lesson_id)
        # Reap finished children so their pids do not linger as zombies.
        self._children[:] = [p for p in self._children if p.poll() is None]
        found = []
        for path in folder.glob("*.json") if folder.is_dir() else []:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found.append(self._checked(path, data))
        found.sort(key=lambda d: float(d.get("created_at", 0)), reverse=True)
        return found

    def _checked(self, path: Path, data: dict[str, Any]) -> dict[str, Any]:
        """``data``, marked failed when its process is gone while it says it is active."""
        if data.get("state") not in ("queued", "running"):
            return data
        try:
            pid = json.loads(path.with_suffix(".pid").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pid = None
        if pid is None:
            if time.time() - float(data.get("created_at", 0)) < _START_GRACE_S:
                return data
        elif process_alive(int(pid["pid"]), str(pid["start"])):
            return data
        steps = {k: ("failed" if v == "running" else v) for k, v in data["steps"].items()}
        return data | {"state": "failed", **_say("portal.run_lost"), "steps": steps,
                       "ended_at": data.get("ended_at") or time.time()}

    def stop_children(self) -> None:
        """Kill the runs this launcher started that still run (tests; a web app that
        stops leaves its runs going on purpose)."""
        for proc in self._children:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self._children.clear()

    @staticmethod
    def _prune(folder: Path) -> None:
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[_KEEP_RUNS:]:
            for suffix in (".json", ".pid", ".log"):
                old.with_suffix(suffix).unlink(missing_ok=True)


def make_launcher(settings: Settings) -> RunLauncher:
    """Server mode (Prefect deployments) when ``PREFECT_API_URL`` is set, else embedded."""
    if os.environ.get("PREFECT_API_URL"):
        from flows.launcher_prefect import PrefectLauncher

        return PrefectLauncher(settings)
    return EmbeddedLauncher(settings)


# --- the background process ------------------------------------------------------------


class _RunFile:
    """The run's JSON file, rewritten atomically on every change (this process owns it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))

    def update(self, **changes: Any) -> None:
        self.data.update(changes)
        atomic_write_json(self.path, self.data)

    def step(self, name: str, state: str, message: str = "") -> None:
        steps = dict(self.data["steps"])
        steps[name] = state
        self.update(steps=steps, **({"message": message} if message else {}))


def _executor(rf: _RunFile) -> Callable[..., list[Any]]:
    from pipeline.steps import execute_inline

    def execute(step: Any, run: Any, jobs: list[Any]) -> list[Any]:
        rf.step(step.name, "running")
        try:
            results = execute_inline(step, run, jobs)
        except BaseException:
            rf.step(step.name, "failed")
            raise
        waiting = step.name == "review" and any(getattr(r, "awaiting", None) for r in results)
        rf.step(step.name, "waiting" if waiting else "done")
        return results

    return execute


def _produce(rf: _RunFile, settings: Settings, lesson_dir: Path) -> dict[str, Any]:
    from pipeline.steps import ProduceOptions, produce

    params = rf.data["params"]
    # A render run (a language was approved) runs every language of the lesson: unchanged
    # work is skipped, and an approved language whose final went stale (a new recording, a
    # re-alignment) is rendered again in the same run instead of dropping from the manifest.
    languages = None if rf.data["kind"] == "render" else (
        tuple(params.get("languages") or ()) or None)
    profiles = tuple(params.get("profiles") or ()) or None

    def report(stage: str, skipped: bool, detail: str) -> None:
        # Editors read this: the step's name and what happened, never paths or commands.
        log.info("%s: %s%s", stage, "skipped " if skipped else "", detail)
        name, _, what = stage.partition("-")  # "render-hmn-compat": the step, then what

        def line(lang: str | None) -> str:
            label = t(f"portal.stepname_{name}", lang) if f"stepname_{name}" in PORTAL else name
            label += f" ({what})" if what else ""
            return f"{label}: " + t("portal.step_reused" if skipped
                                    else "portal.step_finished", lang)

        rf.update(**_said(line))

    result = produce(lesson_dir, ProduceOptions(settings, languages, profiles), report,
                     _executor(rf))
    if result.pending_languages:
        return _say("step.awaiting", langs=", ".join(result.pending_languages))
    return _say("portal.run_produced", n=len(result.files))


def _publish(rf: _RunFile, settings: Settings) -> dict[str, Any]:
    from pipeline.steps.options import publish_options

    params, lesson_out = rf.data["params"], settings.lesson_out(rf.data["lesson_id"])
    languages = [str(x) for x in params.get("languages") or ()]
    if params.get("bundle"):
        from pipeline.publish.bundle import make_bundle
        from pipeline.steps.publish import interface_words

        opts = publish_options(settings, force=True)
        langs = list(dict.fromkeys([*languages, opts.registry.source.code]))
        opts = dataclasses.replace(opts, interface=interface_words(settings, langs))
        dst = Path(str(params.get("target") or settings.out_dir / "bundles"))
        bundle = make_bundle([lesson_out], langs, str(params.get("profile") or "compat"),
                             dst / rf.data["lesson_id"], opts)
        log.info("bundle %s", bundle.zip)
        return _say("portal.run_bundled")
    from pipeline.publish.targets import publish

    target = str(params.get("target") or settings.out_dir / "published")
    popts = publish_options(settings, target, languages=tuple(languages),
                            hls=bool(params.get("hls")))
    result = publish(lesson_out, target, popts)
    log.info("published %d files to %s", len(result.files), target)
    # Where, as the team knows it: the folder under the output root (never a full path).
    where = Path(target).resolve()
    out = settings.out_dir.resolve()
    shown = str(where.relative_to(out)) if where.is_relative_to(out) else where.name
    return _say("portal.run_published", n=len(result.files), target=shown)


def _draft(rf: _RunFile, settings: Settings, lesson_dir: Path) -> dict[str, Any]:
    """The draft script of a lesson handed in without one, kept for the portal to show."""
    from pipeline.ingest import draftable_recording
    from pipeline.portal.drafts import make_draft
    from pipeline.speech.draft import draft_lesson
    from pipeline.steps.options import ingest_options, transcribe_options

    draftable_recording(lesson_dir, ingest_options(settings).limits)
    opts = transcribe_options(settings)
    draft = make_draft(lesson_dir, settings.lesson_out(rf.data["lesson_id"]),
                       lambda folder: draft_lesson(folder, opts, settings.ffmpeg))
    return _say("portal.run_drafted", n=draft.lines)


def _run(rf: _RunFile) -> None:
    data = rf.data
    settings = load_settings(None, {}, **(data.get("settings") or {}))
    lesson_dir = Path(str(data["params"].get("lesson_dir") or
                          Path(data["lessons_dir"]) / data["lesson_id"]))
    lock_path = Path(data["out_dir"]) / ".runs.lock"
    with open(lock_path, "a+b") as lock:
        # One run at a time on this machine; until the lock is ours the run is "queued".
        fcntl.flock(lock, fcntl.LOCK_EX)
        rf.update(state="running", started_at=time.time(), **_say("portal.run_started"))
        try:
            said = (_publish(rf, settings) if data["kind"] == "publish"
                    else _draft(rf, settings, lesson_dir) if data["kind"] == "draft"
                    else _produce(rf, settings, lesson_dir))
        except CaunoiError as e:
            log.info("run %s failed: %s", data["run_id"], e)
            # Editors read a plain sentence; a command to run is kept for administrators.
            rf.update(state="failed", message=e.message(None),
                      messages=failure_messages(e), ended_at=time.time())
            return
        except Exception:
            log.exception("run %s failed", data["run_id"])
            rf.update(state="failed", **_say("internal_error"), ended_at=time.time())
            return
        rf.update(state="done", **said, ended_at=time.time())


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if len(argv) != 1:
        print("usage: python -m flows.launcher RUN_FILE", file=sys.stderr)
        return 2
    _run(_RunFile(Path(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
