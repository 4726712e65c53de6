"""Render layout, burned-subtitle file and ffmpeg graphs: checked without encoding."""

from __future__ import annotations

import math
from pathlib import Path

import ffmpeg
import numpy as np
import pysubs2
import pytest
from PIL import Image

from pipeline.core.languages import Registry
from pipeline.core.media import run_ffmpeg
from pipeline.core.types import Cue
from pipeline.render.burn import BurnSpec, fit_lines, write_burn_ass
from pipeline.render.frames import content_frame_time
from pipeline.render.graph import EncodeInputs, encode_command
from pipeline.render.layout import LINE_HEIGHT, Layout, orientation_of, plan_layout
from pipeline.render.profiles import (
    AV1_LEVEL_30_BLOCKS,
    LEVEL_30_MACROBLOCKS,
    PROFILES,
    get_profile,
)
from pipeline.render.quality import sample_moments
from pipeline.subtitles.formats import write_subtitles


@pytest.mark.parametrize(("source", "profile", "size"), [
    ((720, 1280), "compat", (480, 854)),   # upright phone capture
    ((1280, 720), "compat", (854, 480)),   # landscape stays landscape
    ((1000, 1000), "compat", (480, 480)),  # square stays square
    ((1281, 721), "compat", (852, 480)),   # odd sizes give even frames
    ((1280, 720), "tiny", (640, 360)),
    ((1000, 1000), "modern", (540, 540)),
    ((1280, 720), "modern", (960, 540)),
])
def test_frame_follows_orientation(source: tuple[int, int], profile: str,
                                   size: tuple[int, int]) -> None:
    layout = plan_layout(get_profile(profile), source)
    assert layout.size == size
    assert layout.orientation == orientation_of(*source)


@pytest.mark.parametrize("source", [(720, 1280), (1080, 2400), (720, 1600), (1280, 720)])
@pytest.mark.parametrize("profile", ["compat", "tiny", "modern"])
def test_frames_are_even_and_within_the_level(source: tuple[int, int], profile: str) -> None:
    p = get_profile(profile)
    layout = plan_layout(p, source)
    assert layout.width % 2 == 0 and layout.height % 2 == 0
    level = AV1_LEVEL_30_BLOCKS if profile == "modern" else LEVEL_30_MACROBLOCKS
    mbs = math.ceil(layout.width / 16) * math.ceil(layout.height / 16)
    assert mbs <= p.max_macroblocks == level  # every video profile states its level's limit
    # Upright stays upright; the recording keeps its shape (no pillarbox strip).
    _, _, w, h = layout.content
    assert (layout.height > layout.width) == (source[1] > source[0])
    assert abs(w / h - source[0] / source[1]) < 0.01


def test_upright_band_only_where_it_costs_no_legibility() -> None:
    # compat is at Level 3.0's limit: a band would shrink the screen text, so subtitles
    # sit over the phone's bottom bar; tiny and modern have room for a band below.
    assert plan_layout(get_profile("compat"), (720, 1280)).band == 0
    for name in ("tiny", "modern"):
        layout = plan_layout(get_profile(name), (720, 1280))
        assert layout.band > 0 and layout.content[3] + layout.band == layout.height
        # The two-line subtitle box fits in the band, below the screen content.
        assert layout.subtitle_top >= layout.content[3]
    assert plan_layout(get_profile("tiny"), (1280, 720)).band == 0  # landscape: no band


def test_subtitles_and_banners_stay_below_the_app_bar() -> None:
    for profile in ("compat", "tiny", "modern"):
        for source in ((720, 1280), (1280, 720), (1080, 2400)):
            layout = plan_layout(get_profile(profile), source)
            # Two subtitle lines plus a two-line banner stacked above them.
            stack = layout.font_size * (4 * LINE_HEIGHT + 1.2)
            assert layout.height - layout.margin_v - stack > layout.app_top


def test_three_line_cue_is_split_never_drawn_into_the_picture(tmp_path: Path,
                                                              registry: Registry) -> None:
    long = "Bấm nút Xác nhận, rồi nhập mã OTP gồm sáu chữ số được gửi qua tin nhắn " \
           "điện thoại của bạn, sau đó chờ màn hình báo giao dịch thành công."
    write_subtitles([Cue(0, 0, 1000, 7000, (long,))], registry.get("vi"), tmp_path)
    layout = plan_layout(get_profile("compat"), (720, 1280))
    spec = BurnSpec(font="Noto Sans", layout=layout, chapters=((500, "Chuẩn bị"),))
    subs = pysubs2.load(str(write_burn_ass(tmp_path / "vi.ass", tmp_path / "b.ass", spec)))
    dialogue = [e for e in subs if e.style == "Default"]
    assert len(dialogue) == 2
    assert all(len(e.text.split(r"\N")) <= 2 for e in dialogue)
    assert dialogue[0].start == 1000 and dialogue[-1].end == 7000
    assert dialogue[1].start - dialogue[0].end >= 80
    assert subs.info["PlayResX"] == str(layout.width)
    assert subs.info["PlayResY"] == str(layout.height)
    # The banner is bottom-anchored (stacked above the subtitles), not at the top.
    assert subs.styles["Chapter"].alignment == pysubs2.Alignment.BOTTOM_CENTER
    for e in dialogue:
        assert fit_lines(e.text.split(r"\N"), "Noto Sans", layout.font_size,
                         spec.text_width) == e.text.split(r"\N")


def test_encode_command_reads_as_a_graph(tmp_path: Path) -> None:
    p = get_profile("compat")
    layout = plan_layout(p, (720, 1280))
    inputs = EncodeInputs(recording=tmp_path / "rec.mp4", title_png=tmp_path / "t.png",
                          title_s=2.0, audio=tmp_path / "a.wav", ass=tmp_path / "b.ass")
    args = encode_command(inputs, layout, p, tmp_path / "out.mp4", threads=2)
    graph = args[args.index("-filter_complex") + 1]
    assert "fps=15" in graph and "scale=480:854" in graph and "mpdecimate" in graph
    assert "ass=filename=" in graph and "concat=a=0:n=2:v=1" in graph
    assert args[args.index("-threads") + 1] == "2"
    assert args[args.index("-fps_mode") + 1] == "vfr"
    assert "-level:v" in args and args[args.index("-t") + 1] == "2.000000"
    assert args[-1] == str(tmp_path / "out.mp4")


def test_poster_time_is_a_content_frame() -> None:
    t = content_frame_time(60.0, 2.5, cue_times_s=(1.0, 10.0, 21.0, 30.0, 50.0),
                           chapters=((0, "A"), (20_000, "B")), banner_s=3.0)
    assert t == 2.5 + 30.0  # 21.0 would be nearer 35 % but shows chapter B's banner
    assert content_frame_time(30.0, 2.5) > 2.5


def test_every_video_profile_has_a_target() -> None:
    for p in PROFILES.values():
        assert (p.short_side > 0) == p.has_video == (p.max_fps > 0)


def _burned(ass: Path, layout: Layout, at_s: float, tmp: Path) -> np.ndarray:
    """The ASS drawn by libass over a black frame of the layout's size at ``at_s``."""
    png = tmp / f"burn-{layout.width}x{layout.height}-{at_s}.png"
    src = ffmpeg.input(f"color=black:s={layout.width}x{layout.height}:d={at_s + 1}", f="lavfi")
    args = (src.filter("ass", filename=str(ass)).trim(start=at_s)
            .output(str(png), vframes=1, update=1).get_args())
    run_ffmpeg(args, action="drawing subtitles", path=png)
    return np.asarray(Image.open(png).convert("L")).astype(int)


@pytest.mark.parametrize(("profile", "source"), [
    ("compat", (720, 1280)), ("tiny", (720, 1280)), ("modern", (720, 1280)),
    ("compat", (1280, 720)), ("tiny", (1280, 720)),
])
def test_nothing_is_drawn_over_the_app_bar(profile: str, source: tuple[int, int],
                                           tmp_path: Path, registry: Registry) -> None:
    # A two-line cue, a long two-line chapter banner and the draft watermark, all at once.
    write_subtitles([Cue(0, 0, 500, 6000, ("Nhập mã OTP gồm sáu chữ số được gửi",
                                           "qua tin nhắn điện thoại của bạn."))],
                    registry.get("vi"), tmp_path)
    layout = plan_layout(get_profile(profile), source)
    spec = BurnSpec(font="Noto Sans", layout=layout, draft=True,
                    chapters=((500, "Quét mã và xác nhận thanh toán trên ứng dụng ngân hàng"),))
    ass = write_burn_ass(tmp_path / "vi.ass", tmp_path / "b.ass", spec)
    ink = _burned(ass, layout, 2.0, tmp_path) > 8
    _, _, _, content_h = layout.content
    assert not ink[:round(0.08 * content_h)].any()  # the status bar and the app bar
    assert not ink[:layout.app_top].any()
    assert ink[layout.subtitle_top:].any()
    # The watermark alone (after the cue): bottom-right corner, in the band if there is one.
    alone = _burned(ass, layout, 7.0, tmp_path) > 8
    rows, cols = np.nonzero(alone)
    assert rows.size and rows.min() >= layout.subtitle_top
    assert cols.min() > layout.width // 2
    if layout.band:
        assert rows.min() >= content_h


def test_quality_gates_sample_every_cue_once_when_there_are_few() -> None:
    assert sample_moments([2.45, 6.4], 5) == [2.45, 6.4]  # was [2.45, 2.45]
    assert sample_moments([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], 5) == \
        [1.0, 3.0, 5.0, 7.0, 9.0]
    assert sample_moments([], 5) == []


def test_draft_watermark_comes_from_the_catalogue_in_vietnamese(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.core.i18n import t

    monkeypatch.setenv("CAUNOI_UI_LANG", "en")  # the UI language does not change the video
    layout = plan_layout(get_profile("compat"), (720, 1280))
    ass = write_burn_ass(None, tmp_path / "b.ass", BurnSpec(font="Noto Sans", layout=layout,
                                                            draft=True))
    texts = [e.text for e in pysubs2.load(str(ass)) if e.style == "Watermark"]
    assert texts == ["BẢN NHÁP"] == [t("render.draft_watermark", "vi")]
    assert t("render.draft_watermark", "en") == "DRAFT"


def test_tai_dam_banner_switches_to_the_fallback_font_for_latin(tmp_path: Path) -> None:
    """A Tai Dam video's chapter banner with a Vietnamese (Latin) heading: the style's font
    (Noto Sans Tai Viet) has no Latin letters, so the heading's runs name the fallback."""
    layout = plan_layout(get_profile("compat"), (720, 1280))
    spec = BurnSpec(font="Noto Sans Tai Viet", fallback_font="Noto Sans", layout=layout,
                    chapters=((500, "Chuẩn bị \uaa80\uaa81"),))
    subs = pysubs2.load(str(write_burn_ass(None, tmp_path / "b.ass", spec)))
    banner = next(e for e in subs if e.style == "Chapter")
    assert banner.text.startswith(r"{\fnNoto Sans}Chuẩn bị")
    assert r"{\fnNoto Sans Tai Viet}" in banner.text
