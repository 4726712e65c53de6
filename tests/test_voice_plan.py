"""The voice stage's pure parts: types and their JSON, the time map and moving cues and
chapters through it, the dub plan (stretch limit, then hold), import by file name, the
registries."""

from __future__ import annotations

import pickle
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.errors import ConfigError, FileAccessError, UnknownNameError
from pipeline.core.types import Cue, Sentence, sentence_ids
from pipeline.voice import (
    BACKENDS,
    STRETCHERS,
    DubOptions,
    DubPlan,
    DubResult,
    Recording,
    SentenceSlot,
    TimeMap,
    move_chapters,
    move_spans,
    plan_dub,
    plan_import,
    stretcher,
    text_sha256,
    tts_source,
    voice_backend,
)
from pipeline.voice.errors import (
    ImportDuplicateError,
    ImportGapError,
    ImportUnknownNumberError,
    ImportUnnamedFileError,
)
from pipeline.voice.plan import verify_options

TEXTS = ["Xin chào bà con.", "Mở ứng dụng.", "Xin chào bà con.", "Bấm nút Quét mã QR."]


def _sentences() -> list[Sentence]:
    return [Sentence(index=i, chapter="", text=t, id=sid)
            for i, (t, sid) in enumerate(zip(TEXTS, sentence_ids(TEXTS), strict=True))]


def _recording(**kw: object) -> Recording:
    base: dict[str, object] = dict(
        lesson_id="l", language="en", sentence_id=sentence_ids(TEXTS)[0], number=1,
        speaker="mai", file="1.wav", sha256="ab" * 32, duration_ms=2345,
        text_sha256=text_sha256("Hello everyone."))
    base.update(kw)
    return Recording(**base)  # type: ignore[arg-type]


def test_recording_json_round_trip_and_staleness() -> None:
    rec = _recording()
    assert Recording.from_json(rec.to_json()) == rec
    assert rec.to_json()["duration"] == 2.345
    assert not rec.is_stale("Hello   everyone.")  # same text, other spacing
    assert rec.is_stale("Hello, everyone.")


def test_synthetic_source_is_labelled_and_checked() -> None:
    rec = _recording(source=tts_source("espeak"), speaker="tts:espeak")
    assert rec.synthetic and rec.source == "tts:espeak"
    for bad in ("person", "tts:", "TTS:Espeak", "human "):
        with pytest.raises(ValueError):
            _recording(source=bad)


def test_sentence_ids_of_repeated_text_differ() -> None:
    ids = [s.id for s in _sentences()]
    assert ids[0] != ids[2] and ids[0].split("-")[0] == ids[2].split("-")[0]


@given(st.lists(st.tuples(st.integers(0, 100_000), st.integers(0, 5_000)), max_size=8),
       st.lists(st.integers(0, 120_000), min_size=2, max_size=30))
def test_time_map_is_monotone(holds: list[tuple[int, int]], times: list[int]) -> None:
    tmap = TimeMap.from_holds(holds)
    assert TimeMap.from_json(tmap.to_json()) == tmap
    assert tmap.total_hold_ms == sum(h for _, h in holds)
    ordered = sorted(times)
    dub = [tmap.to_dub(t) for t in ordered]
    assert dub == sorted(dub)
    for t in ordered:
        assert tmap.to_dub(t, "early") <= tmap.to_dub(t, "late")
        assert tmap.to_original(tmap.to_dub(t)) == t
        assert tmap.to_dub(t) - t == sum(h for at, h in holds if at <= t)


def test_time_map_refuses_a_decreasing_map() -> None:
    with pytest.raises(ValueError):
        TimeMap(((0, 0), (1000, 900), (900, 1200)))
    with pytest.raises(ValueError):
        TimeMap(((5, 5),))


def test_cues_and_chapters_move_with_the_picture() -> None:
    tmap = TimeMap.from_holds([(5000, 1500)])
    cues = [Cue(0, 0, 1000, 5000, ("a",), "x.1", 1), Cue(1, 1, 5200, 7000, ("b",), "y.1", 1)]
    moved = move_spans(cues, tmap)
    # The cue ending at the hold stays up through it; the next one moves by the hold.
    assert [(c.start_ms, c.end_ms) for c in moved] == [(1000, 6500), (6700, 8500)]
    assert moved[0].lines == ("a",) and moved[1].id == "y.1"
    assert move_chapters([(0, "Một"), (5200, "Hai")], tmap) == ((0, "Một"), (6700, "Hai"))
    assert tmap.to_dub(5000, "early") == 5000 and tmap.to_original(5700) == 5000


def _slots() -> list[SentenceSlot]:
    ids = sentence_ids(TEXTS)
    return [SentenceSlot(1, ids[0], 1000, 4000, 3600), SentenceSlot(2, ids[1], 4000, 6000, 5800),
            SentenceSlot(3, ids[2], 6000, 9000, 8500), SentenceSlot(4, ids[3], 9000, 11000, 10500)]


def test_plan_fits_then_stretches_then_holds() -> None:
    opts = DubOptions(max_stretch=1.25, gap_ms=100)
    # Rooms: 2900, 1900, 2900, 1900 ms.
    plan = plan_dub(_slots(), {1: 2500, 2: 2185, 3: 4350, 4: 1000}, opts)
    by = {p.number: p for p in plan.sentences}
    assert by[1].stretch == 1.0 and by[1].hold_ms == 0
    assert by[2].stretch == pytest.approx(2185 / 1900) and by[2].hold_ms == 0
    assert by[3].stretch == 1.25 and by[3].voice_ms == 3480 and by[3].hold_ms == 580
    assert plan.timemap.holds == ((8500, 580),)
    # Voices after the hold start later by it; none overlaps the next.
    assert by[4].placed_start_ms == 9580
    ordered = sorted(plan.sentences, key=lambda p: p.placed_start_ms)
    for a, b in pairwise(ordered):
        assert a.placed_end_ms + opts.gap_ms <= b.placed_start_ms
    assert DubPlan.from_json(plan.to_json()) == plan
    result = DubResult("en", "en.wav", 11580, plan, ("ab",), "rubberband-r3", "duck",
                       ("human", "tts:espeak"))
    assert DubResult.from_json(result.to_json()) == result and result.synthetic


def test_plan_without_a_recording_leaves_the_sentence_out() -> None:
    plan = plan_dub(_slots(), {2: 1000}, DubOptions())
    assert [p.number for p in plan.sentences] == [2] and plan.timemap.holds == ()


def test_options_that_break_the_promises_are_refused() -> None:
    with pytest.raises(ConfigError, match="duck_db"):
        verify_options(DubOptions(duck_db=12))
    with pytest.raises(ConfigError, match="max_stretch"):
        verify_options(DubOptions(max_stretch=3.0))
    verify_options(DubOptions(narration="remove", duck_db=0))


@pytest.mark.parametrize("names", [
    ["1.wav", "02.m4a", "3.ogg", "sentence-4.mp3"],
    ["câu 1.m4a", "S2.webm", "003.opus", "Sentence_4.WAV", "notes.txt", ".DS_Store"],
])
def test_import_names(tmp_path: Path, names: list[str]) -> None:
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    plan = plan_import(tmp_path, _sentences())
    assert [(i.number, i.sentence_id) for i in plan.items] == [
        (n, s.id) for n, s in enumerate(_sentences(), start=1)]
    assert [i.path.name for i in plan.items] == [n for n in names if not n.endswith(
        ("txt", "Store"))]
    assert {p.name for p in plan.ignored} == {n for n in names if n.endswith(("txt", "Store"))}


@pytest.mark.parametrize(("names", "error", "words"), [
    (["1.wav", "01.m4a", "2.wav", "3.wav", "4.wav"], ImportDuplicateError, "01.m4a"),
    (["1.wav", "2.wav", "3.wav", "4.wav", "5.wav"], ImportUnknownNumberError, "5.wav"),
    (["0.wav", "1.wav"], ImportUnknownNumberError, "0.wav"),
    (["1.wav", "2.wav", "4.wav"], ImportGapError, "3"),
    (["1.wav", "intro.wav"], ImportUnnamedFileError, "intro.wav"),
    (["1.wav", "1b.wav"], ImportUnnamedFileError, "1b.wav"),
])
def test_import_refusals(tmp_path: Path, names: list[str], error: type[Exception],
                         words: str) -> None:
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(error) as caught:
        plan_import(tmp_path, _sentences())
    err = caught.value
    assert words in str(err) and err.exit_code == 2  # type: ignore[attr-defined]
    assert words in err.message("vi") and err.message("vi") != err.message("en")  # type: ignore[attr-defined]
    assert type(pickle.loads(pickle.dumps(err))) is error


def test_import_may_allow_missing_sentences(tmp_path: Path) -> None:
    (tmp_path / "2.wav").write_bytes(b"x")
    plan = plan_import(tmp_path, _sentences(), allow_missing=True)
    assert [i.number for i in plan.items] == [2] and plan.missing == (1, 3, 4)
    with pytest.raises(FileAccessError):
        plan_import(tmp_path / "nope", _sentences())


def test_registries_list_what_exists() -> None:
    assert set(STRETCHERS) == {"atempo", "rubberband", "rubberband-r3"}
    assert set(BACKENDS) == {"human", "espeak", "mms-tts"}
    assert DubOptions().stretcher in STRETCHERS
    with pytest.raises(UnknownNameError, match="atempo, "):
        stretcher("sox")
    with pytest.raises(UnknownNameError) as caught:
        voice_backend("elevenlabs")
    assert "human, espeak, mms-tts" in str(caught.value)
    assert voice_backend("human").source == "human"
    assert voice_backend("espeak").source == "tts:espeak"
    assert voice_backend("mms-tts").source == "tts:mms-tts"


def test_dub_key_follows_the_recordings_and_options() -> None:
    from dataclasses import replace

    from pipeline.voice.dub import dub_key

    recs = [_recording()]
    key = dub_key(_slots(), recs, "n" * 64, DubOptions())
    assert key == dub_key(list(reversed(_slots())), recs, "n" * 64, DubOptions(ffmpeg="/x"))
    assert key != dub_key(_slots(), [replace(recs[0], sha256="cd" * 32)], "n" * 64, DubOptions())
    assert key != dub_key(_slots(), recs, "m" * 64, DubOptions())
    assert key != dub_key(_slots(), recs, "n" * 64, DubOptions(duck_db=30))
    assert key != dub_key(_slots()[:3], recs, "n" * 64, DubOptions())


@given(st.lists(st.tuples(st.integers(0, 8000), st.integers(0, 8000), st.integers(100, 12000)),
                min_size=1, max_size=10),
       st.floats(1.0, 2.0))
def test_no_voice_is_cut_or_overlaps_the_next(rows: list[tuple[int, int, int]],
                                              limit: float) -> None:
    slots, start = [], 500
    for n, (length, speech, _) in enumerate(rows, start=1):
        slots.append(SentenceSlot(n, f"s-{n}", start, start + length,
                                  start + min(speech, length)))
        start += length
    opts = DubOptions(max_stretch=limit, gap_ms=120)
    plan = plan_dub(slots, {n: v for n, (_, _, v) in enumerate(rows, start=1)}, opts)
    for p, (_, _, voice) in zip(plan.sentences, rows, strict=True):
        assert 1.0 <= p.stretch <= limit + 1e-9
        assert abs(p.voice_ms * p.stretch - voice) <= p.stretch  # compressed, never cut
        tmap = plan.timemap
        assert tmap.to_dub(p.slot_start_ms, "early") <= p.placed_start_ms \
            <= tmap.to_dub(p.slot_start_ms)
    for a, b in pairwise(plan.sentences):
        assert a.placed_end_ms + 120 <= b.placed_start_ms
    last = plan.sentences[-1]
    assert last.placed_end_ms + 120 <= plan.timemap.to_dub(last.slot_end_ms)
