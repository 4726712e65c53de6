"""Issue 31 item 9, the consumer side: a language's approved title and chapter headings on
its title card and banners (the render job, and so the render cache key), in the manifest's
title map (and so the bundle page, the HLS player page and the catalog). The gate's approved
texts are built by hand here, as the review store will give them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.config import Settings
from pipeline.core.media import MediaInfo
from pipeline.core.types import AlignedSentence, Alignment, Cue, Ingested, Lesson, Sentence
from pipeline.publish.manifest import ManifestEntry, load_manifest, write_manifest
from pipeline.review.gate import GateResult
from pipeline.steps import ProduceOptions
from pipeline.steps import render as render_steps
from pipeline.steps.plan import Job, LessonRun, SubtitlesResult
from pipeline.voice.timemap import move_chapters

TITLE_VI = "Trả tiền bằng mã QR"
#: Stand-ins for reviewed texts: marked as test data, never presented as Hmong.
APPROVED_TITLE = "[test hmn] title"
APPROVED_HEADING = "[test hmn] heading 2"


def _lesson(tmp: Path, titles: dict[str, str] | None = None) -> Lesson:
    sentences = (Sentence(0, "Mở ứng dụng", "Mở ứng dụng ngân hàng."),
                 Sentence(1, "Quét mã", "Bấm vào nút quét mã."))
    return Lesson(id="titles-lesson", dir=tmp, title=TITLE_VI, languages=("vi", "hmn", "blt"),
                  profiles=("compat",), authors=(), chapters=("Mở ứng dụng", "Quét mã"),
                  sentences=sentences, recording=tmp / "recording.mp4",
                  hashes={"recording": "0" * 64}, titles=titles or {})


def _run(tmp: Path, settings: Settings, gate: GateResult,
         titles: dict[str, str] | None = None) -> LessonRun:
    tmp.mkdir(parents=True, exist_ok=True)
    lesson = _lesson(tmp, titles)
    run = LessonRun(tmp, ProduceOptions(settings))
    audio = tmp / "audio.wav"
    audio.write_bytes(b"RIFF test")
    media = MediaInfo(path=str(lesson.recording), container="mp4", duration_ms=9000,
                      video=None, audio=None)
    run.results.update({
        "ingest": [Ingested(lesson=lesson, media=media, audio_wav=audio, audio_sha256="a")],
        "audio": [audio],
        "align": [Alignment(aligner="test", sentences=(
            AlignedSentence(0, "Mở ứng dụng", "Mở ứng dụng ngân hàng.", 500, 3000, "matched", 1),
            AlignedSentence(1, "Quét mã", "Bấm vào nút quét mã.", 4200, 8000, "matched", 1)))],
        "subtitles": [SubtitlesResult(cues=(Cue(0, 0, 500, 3000, ("Mở ứng dụng",)),), files=())],
        "review": [gate]})
    return run


def _gate() -> GateResult:
    return GateResult(approved={"hmn": "rev"}, awaiting=["blt"],
                      titles={"hmn": APPROVED_TITLE},
                      chapters={"hmn": {"Quét mã": APPROVED_HEADING}})


def test_title_card_and_banners_per_language(tmp_path: Path, settings: Settings) -> None:
    run = _run(tmp_path, settings, _gate(), titles={"hmn": "team's title", "blt": "team blt"})
    hmn = render_steps._job(run, Job(lang="hmn", profile="compat"))
    # Reviewed title wins over the one in lesson.toml; the Vietnamese stays the second line.
    assert (hmn.title_target, hmn.title_vi) == (APPROVED_TITLE, TITLE_VI)
    # An approved heading replaces its Vietnamese one; a heading with none stays Vietnamese.
    assert hmn.chapters == ((500, "Mở ứng dụng"), (4200, APPROVED_HEADING))
    vi = render_steps._job(run, Job(lang="vi", profile="compat"))
    assert vi.title_target == "" and vi.chapters == ((500, "Mở ứng dụng"), (4200, "Quét mã"))
    # Not approved yet: the team's title, Vietnamese headings (as before issue 31).
    blt = render_steps._job(run, Job(lang="blt", profile="compat", draft=True))
    assert blt.title_target == "team blt" and blt.chapters == vi.chapters
    plain = _run(tmp_path / "p", settings, GateResult(approved={"hmn": "rev"}))
    assert render_steps._job(plain, Job(lang="hmn", profile="compat")).title_target == ""


def test_dub_moves_the_approved_headings(tmp_path: Path, settings: Settings) -> None:
    from pipeline.voice.timemap import TimeMap

    job = render_steps._job(_run(tmp_path, settings, _gate()), Job(lang="hmn", profile="compat"))
    moved = move_chapters(job.chapters, TimeMap(points=((0, 0), (4000, 4000), (4000, 5000))))
    assert moved == ((500, "Mở ứng dụng"), (5200, APPROVED_HEADING))


def _key_of(run: LessonRun, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def capture(run_: LessonRun, stage: str, key: dict[str, Any], *rest: object) -> object:
        seen.update(key)
        return None

    monkeypatch.setattr(render_steps, "cached_step", capture)
    render_steps.render_step(run, Job(lang="hmn", profile="compat"))
    return json.loads(json.dumps(seen, sort_keys=True))


def test_render_cache_key_follows_the_drawn_texts(tmp_path: Path, settings: Settings,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first = _key_of(_run(tmp_path, settings, _gate()), monkeypatch)
    retitled = _gate()
    retitled.titles["hmn"] = "[test hmn] title, corrected"
    assert _key_of(_run(tmp_path, settings, retitled), monkeypatch) != first
    reheaded = _gate()
    reheaded.chapters["hmn"]["Quét mã"] = "[test hmn] heading 2, corrected"
    assert _key_of(_run(tmp_path, settings, reheaded), monkeypatch) != first
    assert _key_of(_run(tmp_path, settings, _gate()), monkeypatch) == first


def test_manifest_title_map_approved_wins(tmp_path: Path) -> None:
    from pipeline.publish.hls import page_title

    lesson = _lesson(tmp_path, titles={"hmn": "team's title", "en": "Paying with a QR code"})
    (tmp_path / "alignment.json").write_text("[]", encoding="utf-8")
    entries = [ManifestEntry(path=tmp_path / "alignment.json", kind="data")]
    write_manifest(tmp_path, lesson, entries, source="vi",
                   approved_titles={"hmn": APPROVED_TITLE})
    m = load_manifest(tmp_path)
    assert m.title == {"vi": TITLE_VI, "hmn": APPROVED_TITLE, "en": "Paying with a QR code"}
    assert m.title_in("hmn", "vi") == (APPROVED_TITLE, True)
    assert m.title_in("blt", "vi") == (TITLE_VI, False)
    assert page_title(m, ["vi", "hmn", "blt"], "vi") == f"{TITLE_VI} · {APPROVED_TITLE}"
    write_manifest(tmp_path, lesson, entries, source="vi")  # nothing approved: the team's
    assert load_manifest(tmp_path).title["hmn"] == "team's title"


def test_manifest_step_passes_the_gate_titles(tmp_path: Path, settings: Settings,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.steps import publish as publish_steps

    run = _run(tmp_path, settings, _gate())
    run.out.mkdir(parents=True, exist_ok=True)
    got: dict[str, Any] = {}
    monkeypatch.setattr(publish_steps, "write_manifest",
                        lambda *a, **kw: got.update(kw) or run.out / "manifest.json")
    monkeypatch.setattr(publish_steps, "subtitle_files", lambda run_: {})
    publish_steps.manifest_step(run, Job())
    assert got["approved_titles"] == {"hmn": APPROVED_TITLE}



def _ocr(image: Path) -> str:
    done = subprocess.run(["tesseract", str(image), "-", "-l", "eng"], capture_output=True,
                          text=True, check=True)
    return " ".join(done.stdout.split())


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract missing")
def test_title_card_draws_the_approved_title(tmp_path: Path, settings: Settings) -> None:
    """One small real card (moviepy, Noto fonts) for the job's texts, read back by OCR."""
    from pipeline.render.cards import title_card

    gate = GateResult(approved={"en": "rev"}, titles={"en": "Paying with a QR code"})
    job = render_steps._job(_run(tmp_path, settings, gate), Job(lang="en", profile="compat"))
    card = title_card(tmp_path / "en.png", (360, 640), job.title_vi, job.title_target,
                      job.language_label, font=job.font)
    assert "Paying with a QR code" in _ocr(card)
    plain = title_card(tmp_path / "vi.png", (360, 640), job.title_vi, "", "", font=job.font)
    assert "Paying" not in _ocr(plain)


def test_hls_player_page_follows_the_title_without_a_new_ladder(tmp_path: Path) -> None:
    """A cached ladder keeps its segments; its page is rewritten when the titles change."""
    from pipeline.publish.hls import _player_page

    tracks = [("vi", "Tiếng Việt", True), ("hmn", "Hmoob", False)]
    _player_page(tmp_path, TITLE_VI, tracks)
    page = tmp_path / "index.html"
    before = page.stat().st_mtime_ns
    _player_page(tmp_path, TITLE_VI, tracks)
    assert page.stat().st_mtime_ns == before  # unchanged: not rewritten
    _player_page(tmp_path, f"{TITLE_VI} · {APPROVED_TITLE}", tracks)
    assert f"<title>{TITLE_VI} · {APPROVED_TITLE}</title>" in page.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract missing")
def test_tai_dam_card_draws_latin_letters_with_the_fallback_font(tmp_path: Path,
                                                                  settings: Settings) -> None:
    """Noto Sans Tai Viet has no Latin letters: a Latin-script title and the language label
    ("Tai Dam · …") are drawn in the fallback font, and a title mixing Tai Viet letters with
    "QR" draws each run in its own font (the walkthrough's Tai Dam card was all boxes)."""
    from pipeline.render.cards import _runs, title_card

    gate = GateResult(approved={"blt": "rev"}, titles={"blt": "Paying with a QR code"})
    job = render_steps._job(_run(tmp_path, settings, gate), Job(lang="blt", profile="compat"))
    assert (job.font, job.fallback_font) == ("Noto Sans Tai Viet", "Noto Sans")
    card = title_card(tmp_path / "blt.png", (360, 640), job.title_vi, job.title_target,
                      job.language_label, font=job.font, fallback_font=job.fallback_font)
    text = _ocr(card)
    assert "Paying with a QR code" in text and "Tai Dam" in text
    # Letters of the Tai Viet block (glyphs only, not a translation) beside "QR".
    mixed = "\uaa80\uaa81\uaa82 QR"
    assert _runs(mixed, job.font, job.fallback_font) == [
        ("\uaa80\uaa81\uaa82", "Noto Sans Tai Viet"), (" QR", "Noto Sans")]
    card = title_card(tmp_path / "mixed.png", (360, 640), job.title_vi, mixed,
                      job.language_label, font=job.font, fallback_font=job.fallback_font)
    assert "QR" in _ocr(card)
