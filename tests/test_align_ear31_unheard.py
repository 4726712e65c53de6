"""Issue 29, session 31: a sentence never said, which the acoustics put on an ad-lib of its
own length with almost no confidence, is skipped when the ear hears its text nowhere in the
gap its neighbours leave (pipeline.speech.align.ear_unheard); a spoken sentence either ear
hears stays. And an end the ear sets inside a pause the speech detector missed (its forced
end, or the end of a speech region smeared by a bed) moves to the pause's start
(pipeline.speech.align.forced._ends with ear_place.pause_around)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipeline.core.types import AlignedSentence
from pipeline.speech.align.ear_check import CheckOptions, check
from pipeline.speech.align.forced import _ends
from pipeline.speech.align.listen import Listener
from tests.test_align_ear29_asked import HoarseEar
from tests.test_align_ear_check import RATE, RIGHT, SAID, TruthEar, _s, _text

#: Sentence 2 never said: an ad-lib of its length at 10.2-14.5 s, sentence 3 at 14.8-18.8 s.
NOT_SAID = {0: SAID[0], 1: SAID[1], 3: (14.8, 18.8), 4: SAID[4]}
REGIONS = [(1000, 5000), (6000, 10000), (10200, 14500), (14800, 18800), (21000, 25000)]


def _acoustic(conf: float) -> list[AlignedSentence]:
    """The acoustics' answer: sentence 2 on the ad-lib at ``conf``, the others right."""
    return [RIGHT[0], RIGHT[1], _s(2, 10200, 14500, conf=conf), _s(3, 14800, 18800, conf=0.9),
            RIGHT[4]]


def _run(ear: TruthEar, acoustic: list[AlignedSentence],
         o: CheckOptions | None = None) -> list[AlignedSentence]:
    listener = Listener(ear, ear.recording, [_text(k) for k in range(5)], 300)
    return check(acoustic, listener, REGIONS, o or CheckOptions())[0]


def _recording() -> np.ndarray:
    return np.zeros(RATE * 27, dtype=np.float32)


def test_a_sentence_never_said_put_on_an_adlib_barely_heard_is_skipped() -> None:
    # Its own words no likelier on the ad-lib than on silence; sentence 1's text a little
    # likelier there (its end in the padding): heard by neither ear.
    out = _run(TruthEar(_recording(), NOT_SAID), _acoustic(0.02))
    assert out[2].status == "skipped", out[2]
    assert [s.status for k, s in enumerate(out) if k != 2] == ["matched"] * 4


def test_the_same_place_heard_by_the_acoustics_is_kept_for_a_person() -> None:
    # The acoustics heard it (0.3): the ear alone does not skip it; kept, low confidence.
    out = _run(TruthEar(_recording(), NOT_SAID), _acoustic(0.3))
    assert out[2].status == "matched" and out[2].confidence <= 0.3, out[2]


def test_with_the_rule_off_a_sentence_barely_heard_by_both_stays_as_before() -> None:
    off = _run(TruthEar(_recording(), NOT_SAID), _acoustic(0.02), CheckOptions(unheard=0.0))
    assert off[2].status == "matched", off[2]


def test_a_spoken_sentence_the_acoustics_barely_hear_stays_when_the_ear_hears_it() -> None:
    said = {**NOT_SAID, 2: (10.2, 14.5)}
    # Heard well, hoarsely, very hoarsely, and so hoarsely that its text is only about
    # even with sentence 1's there (0.04: within the skip margin, questioned, not behind).
    for factor in (1.0, 0.3, 0.1, 0.04):
        out = _run(HoarseEar(_recording(), said, 2, factor), _acoustic(0.02))
        assert out[2].status == "matched", (factor, out[2])
        assert (out[2].start_ms, out[2].end_ms) == (10200, 14500), (factor, out[2])


def _speech_with_pause(pause: tuple[float, float], seconds: int = 12) -> np.ndarray:
    """Speech-band noise bursts over a low music bed (100 Hz), the band quiet in ``pause``."""
    rng = np.random.default_rng(3)
    t = np.arange(RATE * seconds) / RATE
    out = 0.08 * np.sin(2 * np.pi * 100 * t)
    k = 0.0
    while k < seconds:
        syl = rng.uniform(0.12, 0.22)
        if not (pause[0] < k + syl and k < pause[1]):
            i, j = int(k * RATE), min(t.size, int((k + syl) * RATE))
            out[i:j] += 0.3 * np.sin(2 * np.pi * rng.uniform(600, 2800) * t[i:j])
        k += syl + rng.uniform(0.03, 0.08)
    return out.astype(np.float32)


def test_an_end_the_ear_sets_inside_a_missed_pause_moves_to_where_the_pause_starts() -> None:
    # Sentence 1 placed by the ear at 2-...: its speech region runs on to 11 s (an ad-lib
    # after a 1 s pause under the bed, not heard by the detector); Whisper's forced end at
    # 6.4 s is inside the pause 6.0-7.0 s.
    from pipeline.speech.align.ear_place import pause_around  # (new in session 31)

    samples = _speech_with_pause((6.0, 7.0))
    o = CheckOptions()
    out = [_s(0, 0, 1500), _s(1, 2000, 6400)]
    regions = [(0, 1500), (2000, 11000)]
    longest = [3000, 3000]  # 2-11 s is longer than sentence 1 could be

    def at(t: int) -> tuple[int, int] | None:
        return pause_around(samples, t, o)

    ends = _ends(out, [False, True], regions, longest, at)
    # (the last syllable before the pause ends up to 0.3 s before it)
    assert 5700 <= ends[1].end_ms <= 6020, ends[1]
    # Without the pause finder: the forced end, as before; a forced end in speech stays.
    assert _ends(out, [False, True], regions, longest)[1].end_ms == 6400
    inside = [out[0], replace(out[1], end_ms=5200)]
    assert _ends(inside, [False, True], regions, longest, at)[1].end_ms == 5200
    # An end from the speech detector's region that runs 0.4 s into the pause (its edge
    # smeared by the bed) moves to the pause's start too.
    smeared = [(0, 1500), (2000, 6400), (7000, 11000)]
    assert 5700 <= _ends(out, [False, True], smeared, [6000, 6000], at)[1].end_ms <= 6020
    assert _ends(out, [False, True], smeared, [6000, 6000])[1].end_ms == 6400
    # A sentence the ear did not place keeps its end.
    assert _ends(out, [False, False], regions, longest, at)[1].end_ms == 6400


def test_a_sentence_barely_heard_whose_text_the_ear_hears_ahead_elsewhere_is_not_skipped(
        ) -> None:
    """The 'heard ahead nowhere' guard of ``ear_unheard.unheard`` on its own: the same
    sentence, behind where the acoustics barely put it, is skipped only when the ear found
    no other place where its text is ahead."""
    from pipeline.speech.align.ear_unheard import unheard

    o = CheckOptions()
    acoustic = _acoustic(0.02)
    behind = {2: -1.0}
    for alt, status in (({}, "skipped"), ({2: _s(2, 19000, 21000, conf=0.3)}, "matched")):
        out = list(acoustic)
        unheard(out, [False] * 5, [2], (set(), {2}), (behind, alt, 0.3), o)
        assert out[2].status == status, (alt, out[2])
