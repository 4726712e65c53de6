"""Shared storage (pipeline.core.shared): lesson inputs only on a "remote" store (a second
local folder as a ``file://`` URL, and an S3-compatible store served by moto); the server
flows stage them in to a worker's cache and their outputs out to the store."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from flows.env import free_port
from pipeline.core.config import Settings, load_settings
from pipeline.core.shared import SharedStorage


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 with one bucket; yields its endpoint."""
    import os

    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_DEFAULT_REGION")}
    os.environ |= {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_DEFAULT_REGION": "us-east-1"}
    endpoint = f"http://127.0.0.1:{port}"
    fsspec.filesystem("s3", client_kwargs={"endpoint_url": endpoint},
                      skip_instance_cache=True).mkdir("caunoi")
    yield endpoint
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(params=["file", "s3"])
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """CAUNOI_* variables of a worker whose lessons live only on the shared store."""
    env = {"CAUNOI_CONFIG": str(tmp_path / "none.toml"),
           "CAUNOI_WORK_DIR": str(tmp_path / "worker-cache"),
           "CAUNOI_OUT_DIR": str(tmp_path / "app-out"),
           "CAUNOI_LESSONS_DIR": str(tmp_path / "app-lessons"),
           "CAUNOI_MODEL_DIR": str(tmp_path / "no-models"),
           "CAUNOI_PREFECT_HOME": str(tmp_path / "prefect")}
    if request.param == "file":
        env["CAUNOI_STORAGE_URL"] = (tmp_path / "remote").as_uri()
    else:
        endpoint = request.getfixturevalue("s3_url")
        env |= {"CAUNOI_STORAGE_URL": f"s3://caunoi/{tmp_path.name}",
                "CAUNOI_S3_ENDPOINT": endpoint}
    return env


def _store(env: dict[str, str]) -> SharedStorage:
    return SharedStorage(load_settings(env=env))


def _listing(store: SharedStorage, kind: str, lesson: str) -> set[str]:
    base = f"{store.root}/{kind}/{lesson}"
    return {p[len(base) + 1:] for p in store.fs.find(base)}


def test_stage_in_fetches_only_what_changed_and_mirrors(store_env: dict[str, str],
                                                        short_lesson: Path) -> None:
    store = _store(store_env)
    store.put_lesson(short_lesson, "short-qr")
    staged = store.stage_in("short-qr")
    assert staged.lesson_dir == Path(store_env["CAUNOI_WORK_DIR"]) / "lessons" / "short-qr"
    assert (staged.lesson_dir / "recording.mp4").read_bytes() == \
        (short_lesson / "recording.mp4").read_bytes()
    recording_stamp = (staged.lesson_dir / "recording.mp4").stat().st_mtime_ns
    store.fs.pipe(f"{store.root}/lessons/short-qr/script.md", "# Changed\n\nMột.\n".encode())
    store.fs.rm(f"{store.root}/lessons/short-qr/truth.json")
    store.stage_in("short-qr")
    assert (staged.lesson_dir / "script.md").read_text(encoding="utf-8") == "# Changed\n\nMột.\n"
    assert not (staged.lesson_dir / "truth.json").exists()
    # The recording did not change on the store: not fetched again.
    assert (staged.lesson_dir / "recording.mp4").stat().st_mtime_ns == recording_stamp


def test_stage_out_skips_scratch_sends_manifest_last_and_only_changes(
        store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store = _store(store_env)
    store.fs.makedirs(f"{store.root}/lessons/l1", exist_ok=True)
    store.fs.pipe(f"{store.root}/lessons/l1/script.md", b"x")
    staged = store.stage_in("l1")
    out = staged.out_dir / "l1"
    for rel in ("manifest.json", "alignment.json", "video/vi-compat.mp4", "work/a.wav"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(rel.encode())
    order: list[str] = []
    real_put = SharedStorage._put

    def spy(self: SharedStorage, path: Path, dst: str) -> None:
        order.append(path.name)
        real_put(self, path, dst)

    monkeypatch.setattr(SharedStorage, "_put", spy)
    assert store.stage_out(staged, "l1") == 3
    assert order[-1] == "manifest.json"
    assert _listing(store, "output", "l1") == {"manifest.json", "alignment.json",
                                               "video/vi-compat.mp4"}
    assert store.stage_out(staged, "l1") == 0  # nothing changed
    (out / "alignment.json").write_bytes(b"new")
    assert store.stage_out(staged, "l1") == 1
    assert store.read_output("l1", "alignment.json") == b"new"
    (out / "alignment.json").unlink()  # e.g. a run no longer waiting for review
    store.remove_output("l1", "alignment.json")
    assert store.read_output("l1", "alignment.json") is None
    (out / "alignment.json").write_bytes(b"new")
    assert store.stage_out(staged, "l1") == 1  # forgotten as sent: sent again
    # A new worker (empty cache) gets the outputs back and does not send them again.
    other = _store(store_env | {"CAUNOI_WORK_DIR": str(tmp_path / "cache-2")})
    again = other.stage_in("l1")
    assert (again.out_dir / "l1" / "alignment.json").read_bytes() == b"new"
    assert other.stage_out(again, "l1") == 0


def test_hand_in_sends_only_changes_and_drops_replaced_files(store_env: dict[str, str],
                                                              short_lesson: Path,
                                                              tmp_path: Path) -> None:
    store = _store(store_env)
    lesson = tmp_path / "handed"
    shutil.copytree(short_lesson, lesson)
    first = store.put_lesson(lesson, "l2")
    assert first == len([p for p in lesson.rglob("*") if p.is_file()])
    assert store.put_lesson(lesson, "l2") == 0  # nothing changed: nothing sent
    (lesson / "script.md").write_text("# Đổi\n\nMột câu.\n", encoding="utf-8")
    (lesson / "recording.mp4").rename(lesson / "recording.webm")  # a new recording
    assert store.put_lesson(lesson, "l2") == 2
    names = _listing(store, "lessons", "l2")
    assert "recording.webm" in names and "recording.mp4" not in names


def test_outputs_gone_on_the_worker_go_from_the_store_and_the_web_app(
        store_env: dict[str, str]) -> None:
    store = _store(store_env)
    store.fs.makedirs(f"{store.root}/lessons/l3", exist_ok=True)
    store.fs.pipe(f"{store.root}/lessons/l3/script.md", b"x")
    staged = store.stage_in("l3")
    out = staged.out_dir / "l3"
    for rel in ("manifest.json", "video/en-compat.mp4", "video/vi-compat.mp4"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(rel.encode())
    store.stage_out(staged, "l3")
    app_out = Path(store_env["CAUNOI_OUT_DIR"]) / "l3"
    assert sorted(store.pull_outputs("l3")) == sorted(
        ["manifest.json", "video/en-compat.mp4", "video/vi-compat.mp4"])
    assert (app_out / "video" / "en-compat.mp4").read_bytes() == b"video/en-compat.mp4"
    assert store.pull_outputs("l3") == []  # nothing changed
    # A withdrawn approval removed the English final on the worker.
    (out / "video" / "en-compat.mp4").unlink()
    store.stage_out(staged, "l3")
    assert "video/en-compat.mp4" not in _listing(store, "output", "l3")
    store.pull_outputs("l3")
    assert not (app_out / "video" / "en-compat.mp4").exists()
    assert (app_out / "video" / "vi-compat.mp4").is_file()


def test_server_launcher_hands_the_lesson_in_and_names_it_by_id(
        store_env: dict[str, str], short_lesson: Path) -> None:
    from flows.launcher_prefect import PrefectLauncher

    settings = load_settings(env=store_env)
    lesson = settings.lessons_dir / "l4"
    shutil.copytree(short_lesson, lesson)
    launcher = PrefectLauncher(settings)
    params = launcher._parameters("produce", "l4", None, {})
    assert params["lesson_id"] == "l4" and "lesson_dir" not in params
    assert "script.md" in _listing(launcher.store, "lessons", "l4")
    render = launcher._parameters("render", "l4", "en", {})
    assert render["lesson_id"] == "l4" and render["language"] == "en"


def test_missing_lesson_is_one_sentence(store_env: dict[str, str]) -> None:
    from pipeline.core.shared import LessonNotStoredError

    with pytest.raises(LessonNotStoredError) as err:
        _store(store_env).stage_in("nowhere")
    assert "nowhere" in str(err.value) and err.value.exit_code == 2


def test_local_mode_copies_nothing(settings: Settings) -> None:
    store = SharedStorage(settings)
    staged = store.stage_in("abc")
    assert staged.lesson_dir == settings.lessons_dir / "abc"
    assert staged.out_dir == settings.out_dir
    assert store.stage_out(staged, "abc") == 0


@pytest.fixture(scope="module")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# Slow: a whole Prefect run or a real decode (tens of seconds); runs in CI's -m slow.
@pytest.mark.slow
def test_server_flow_runs_a_lesson_that_lives_only_on_the_store(
        prefect_harness: None, store_env: dict[str, str], short_lesson: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.server import produce_lesson_reviewed

    for k, v in store_env.items():
        monkeypatch.setenv(k, v)
    store = _store(store_env)
    store.put_lesson(short_lesson, "short-qr")
    result = produce_lesson_reviewed(lesson_id="short-qr", languages=["vi"])
    assert result["lesson"] == "short-qr" and result["pending"] == []
    landed = _listing(store, "output", "short-qr")
    assert {"manifest.json", "alignment.json", "subtitles/vi.srt",
            "video/vi-compat.mp4"} <= landed
    assert not [p for p in landed if p.startswith("work/") or p.endswith(".part")]
    manifest = json.loads(store.read_output("short-qr", "manifest.json") or b"{}")
    assert {f["path"] for f in manifest["files"]} <= landed
    # Nothing was read from or written to the web app's folders.
    assert not Path(store_env["CAUNOI_LESSONS_DIR"]).exists()
    assert not Path(store_env["CAUNOI_OUT_DIR"]).exists()
