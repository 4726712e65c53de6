"""Render: profiles as DESIGN.md specifies them, cards, subtitles, drafts, quality gates."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.core.errors import FfmpegError, RenderQualityError, UnknownNameError
from pipeline.core.languages import Registry
from pipeline.core.media import probe, run_ffmpeg
from pipeline.core.types import Cue
from pipeline.render.encode import RenderJob, RenderOptions, normalise_audio, render
from pipeline.render.profiles import PROFILES, get_profile
from pipeline.subtitles.formats import write_subtitles
from tests.interop import mp4_top_boxes

CUES = [Cue(0, 0, 500, 4000, ("Nhập mật khẩu", "để đăng nhập.")),
        Cue(1, 1, 6000, 9000, ("Bấm nút Xác nhận.",))]
#: Bytes per minute of each profile's render of the short lesson (issue 32), measured
#: 2026-12-06 on this 2-core machine with the profiles of commit 9fbfca8; renders are
#: byte-identical run to run here. A CRF 4 higher (or lower) leaves this band, so a change
#: of bitrate is a decision the test makes visible, beside the quality floors.
BYTES_PER_MINUTE = {"compat": 199_449, "tiny": 118_649, "modern": 122_932}
SIZE_TOLERANCE = 0.04


def frame_at(path: Path, t: float) -> np.ndarray:
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            if frame.time is not None and frame.time >= t:
                return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.int32)
    raise AssertionError(f"no frame at {t}")


@pytest.fixture(scope="module")
def work(short_lesson: Path, registry: Registry,
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("render")
    write_subtitles(CUES, registry.get("vi"), out)
    audio = normalise_audio(short_lesson / "recording.mp4", out / "norm.wav")
    return {"out": out, "audio": audio, "recording": short_lesson / "recording.mp4"}


def job_for(work: dict[str, Path], profile: str = "compat", **kw: object) -> RenderJob:
    p = get_profile(profile)
    values: dict[str, object] = dict(
        recording=work["recording"], audio=work["audio"], language="vi", font="Noto Sans",
        profile=p, dst=work["out"] / f"{profile}-{len(kw)}-{sorted(kw)}.{p.ext}",
        ass=work["out"] / "vi.ass", title_vi="Trả tiền bằng mã QR",
        chapters=((500, "Chuẩn bị"),), cue_times=(2.0, 7.5))
    values.update(kw)
    return RenderJob(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def compat(work: dict[str, Path]) -> tuple[Path, dict[str, float | None]]:
    rendered = render(job_for(work))
    assert rendered.codecs == ("avc1.42C01E", "mp4a.40.2")
    return rendered.path, rendered.quality


def test_compat_profile_streams(compat: tuple[Path, dict[str, float | None]]) -> None:
    info = probe(compat[0])
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 854, 480)
    assert info.video.profile == "Constrained Baseline" and info.video.level == 30
    # Variable frame rate (still screens are single frames), never faster than 15 fps.
    import av

    with av.open(str(compat[0])) as c:
        times = [f.time for f in c.decode(video=0) if f.time is not None]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 1 / 15 - 1e-3
    assert (info.audio.codec, info.audio.channels, info.audio.profile) == ("aac", 1, "LC")
    boxes = mp4_top_boxes(compat[0])
    assert boxes.index("moov") < boxes.index("mdat")  # +faststart


def assert_size_band(path: Path, profile: str) -> None:
    with av.open(str(path)) as c:
        per_minute = path.stat().st_size * 60_000_000 / float(c.duration or 1)
    expected = BYTES_PER_MINUTE[profile]
    assert abs(per_minute / expected - 1) <= SIZE_TOLERANCE, (profile, round(per_minute),
                                                              expected)


def test_compat_bytes_per_minute(compat: tuple[Path, dict[str, float | None]]) -> None:
    assert_size_band(compat[0], "compat")


def test_quality_figures_recorded(compat: tuple[Path, dict[str, float | None]]) -> None:
    """Every gate measured (tesseract and libvmaf come with the project), each near what the
    compat render of the short lesson measures (2026-11-27), and at least its gate."""
    q, gate = compat[1], get_profile("compat")
    assert q["ssim"] is not None and q["ssim"] >= max(gate.min_ssim, 0.99)  # measured 0.994
    assert q["vmaf"] is not None and q["vmaf"] > 90  # measured 93.2
    assert q["subtitles_present"] == 1.0
    # Measured 0.923 (12 of 13 diacritic words read back); the gate needs 0.8.
    ocr = q["ocr_diacritics"]
    assert ocr is not None and ocr >= max(gate.min_ocr, 0.9)


def test_title_card_then_subtitles(compat: tuple[Path, dict[str, float | None]],
                                   work: dict[str, Path]) -> None:
    first = frame_at(compat[0], 0.5)
    assert abs(first[240, 20] - np.array([0, 88, 66])).max() < 30  # the green title card
    plain = render(job_for(work, ass=None))
    # 2.5 s title card + 2 s into the recording: the first cue is on screen.
    band = (slice(400, 470), slice(200, 650))
    diff = np.abs(frame_at(compat[0], 4.5)[band] - frame_at(plain.path, 4.5)[band]).mean()
    assert diff > 10


def test_draft_is_watermarked(compat: tuple[Path, dict[str, float | None]],
                              work: dict[str, Path]) -> None:
    draft = render(job_for(work, draft=True, dst=work["out"] / "draft.mp4"))
    # 2.5 s title card + 5 s: between the two cues, only the watermark is drawn.
    shown, plain = frame_at(draft.path, 7.5), frame_at(compat[0], 7.5)
    corner = (slice(430, 480), slice(650, 854))
    assert draft.draft and np.abs(shown[corner] - plain[corner]).mean() > 5
    top = (slice(0, 58), slice(None))  # the app bar (top 12 %) is left alone
    assert np.abs(shown[top] - plain[top]).mean() < 2


def test_gate_refuses_a_bad_render(work: dict[str, Path]) -> None:
    strict = replace(get_profile("compat"), min_ssim=1.01)
    job = job_for(work, profile="compat", dst=work["out"] / "strict.mp4")
    job = replace(job, profile=strict)
    with pytest.raises(RenderQualityError) as info:
        render(job)
    assert "SSIM" in str(info.value)
    assert not job.dst.exists()


def test_failed_encode_leaves_nothing(tmp_path: Path, work: dict[str, Path]) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00garbage" * 1000)
    job = job_for(work, recording=bad, dst=tmp_path / "video" / "vi-compat.mp4")
    with pytest.raises(FfmpegError) as info:
        render(job)
    assert "compat" in str(info.value)
    assert not job.dst.exists()


def test_loudness_is_normalised(work: dict[str, Path]) -> None:
    log = run_ffmpeg(["-i", str(work["audio"]), "-af", "ebur128", "-f", "null", "-"],
                     action="measuring", path=work["audio"])
    integrated = float(re.findall(r"I:\s+(-?[0-9.]+) LUFS", log)[-1])
    assert abs(integrated - (-16.0)) < 1.0
    assert probe(work["audio"]).audio.channels == 1  # type: ignore[union-attr]


def test_audio_profile(work: dict[str, Path]) -> None:
    rendered = render(job_for(work, profile="audio", dst=work["out"] / "vi-audio.opus"))
    info = probe(rendered.path)
    assert info.video is None and info.audio is not None and info.audio.codec == "opus"
    assert rendered.codecs == ("opus",)


def test_soft_subtitles(work: dict[str, Path]) -> None:
    job = job_for(work, srt=work["out"] / "vi.srt", dst=work["out"] / "soft.mp4")
    rendered = render(job, RenderOptions(burn_subtitles=False, quality_gates=False))
    with av.open(str(rendered.path)) as c:
        assert [s.codec_context.name for s in c.streams.subtitles] == ["mov_text"]


def test_tai_viet_subtitles_switch_fonts(tmp_path: Path, registry: Registry) -> None:
    blt = registry.get("blt")
    write_subtitles([Cue(0, 0, 0, 2000, ("ꪀꪁꪂ 45.000 QR",))], blt, tmp_path)
    ass = (tmp_path / "blt.ass").read_text(encoding="utf-8")
    assert r"{\fnNoto Sans Tai Viet}ꪀꪁꪂ{\fnNoto Sans} 45.000 QR" in ass
    assert r"\fn" not in (tmp_path / "blt.srt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_modern_and_tiny_profiles(work: dict[str, Path]) -> None:
    modern = render(job_for(work, profile="modern"))
    info = probe(modern.path)
    assert info.video is not None and info.video.codec in ("av1", "libdav1d")
    assert info.audio is not None and info.audio.codec == "opus"
    assert_size_band(modern.path, "modern")
    tiny = render(job_for(work, profile="tiny"))
    assert_size_band(tiny.path, "tiny")
    info = probe(tiny.path)
    assert info.video is not None and info.video.profile == "Main"
    # Variable frame rate (still screens are single frames), never faster than 5 fps.
    import av

    with av.open(str(tiny.path)) as c:
        times = [f.time for f in c.decode(video=0) if f.time is not None]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 1 / 5 - 1e-3


def test_profiles_table() -> None:
    assert {"compat", "tiny", "modern", "audio"} <= set(PROFILES)
    with pytest.raises(UnknownNameError):
        get_profile("4k")


def test_ocr_counts_only_words_vietnamese_can_spell() -> None:
    # Tesseract read "vở" plus a stray stroke as "vởz" in one recording; counted as a word,
    # every render had to reproduce that misreading to score 1.00.
    from pipeline.render.quality import diacritic_words

    text = "Số tiền: 125.000 đồng vởz tiềt qạo tiiần trưước Nhập mật khẩu"
    assert diacritic_words(text) == {"số": 1, "tiền": 1, "đồng": 1, "nhập": 1, "mật": 1,
                                      "khẩu": 1}


def test_every_vietnamese_word_the_project_ships_counts_for_ocr() -> None:
    import unicodedata

    from pipeline.core.text import is_vietnamese_syllable, syllables

    root = Path(__file__).resolve().parent.parent
    files = [*root.glob("scripts/make_*lesson.py"), *root.glob("pipeline/core/i18n*.py"),
             *root.glob("pipeline/portal/**/*.html"), *root.glob("pipeline/review/**/*.html")]
    words = {w for f in files for w in syllables(f.read_text(encoding="utf-8"))
             if w.isalpha() and unicodedata.normalize("NFD", w) != w}
    assert len(words) > 300
    assert sorted(w for w in words if not is_vietnamese_syllable(w)) == []


@pytest.mark.parametrize("size", [(480, 854), (432, 960), (360, 872), (480, 480), (854, 480)])
def test_title_card_breaks_lines_between_words(size: tuple[int, int], tmp_path: Path) -> None:
    # moviepy's own wrapping read "... trên điện thoạ / i" on every upright and square card.
    from PIL import Image

    from pipeline.render.cards import title_card, wrap_words
    from pipeline.render.fonts import font_file
    from pipeline.render.quality import ocr_available, ocr_pages

    title = "Cài đặt định danh điện tử VNeID trên điện thoại"
    lines = wrap_words(title, font_file("Noto Sans", bold=True), 34, 400)
    assert lines is not None and " ".join(lines).split() == title.split()
    if not ocr_available():
        pytest.skip("tesseract is not installed")
    card = np.asarray(Image.open(title_card(tmp_path / "c.png", size, title)).convert("RGB"))
    assert " ".join(ocr_pages([card])[0].split()) == title


def test_ocr_reads_each_frame_as_its_own_page(tmp_path: Path) -> None:
    # Frames stacked into one tall image lost whole frames to tesseract's layout analysis.
    from PIL import Image

    from pipeline.render.cards import title_card
    from pipeline.render.quality import ocr_available, ocr_pages

    if not ocr_available():
        pytest.skip("tesseract is not installed")
    cards = [np.asarray(Image.open(title_card(tmp_path / f"{i}.png", (480, 480), t))
                        .convert("RGB")) for i, t in enumerate(["Mở ứng dụng", "", "Quét mã"])]
    pages = [" ".join(p.split()) for p in ocr_pages(cards)]
    assert pages == ["Mở ứng dụng", "", "Quét mã"]
