"""Issue 29: a stretched sentence the ear hears from its own start to an end inside its
acoustic span is placed there, even when its text scores higher over the longer span (the
ad-lib after it gives Whisper more to hear: shift-phone-10101) (pipeline.speech.align.ear_check)."""

from __future__ import annotations

import numpy as np

from pipeline.speech.align.ear import EarWord
from pipeline.speech.align.ear_check import check
from pipeline.speech.align.listen import Listener
from tests.test_align_ear_check import RATE, TruthEar, _s, _text

#: Sentence 1 said at 6-10 s, an ad-lib at 10.4-12.4 s in the same run of speech.
SAID = {0: (1.0, 5.0), 1: (6.0, 10.0), 2: (13.0, 17.0), 3: (18.0, 22.0), 4: (23.0, 27.0)}
REGIONS = [(1000, 5000), (6000, 12400), (13000, 17000), (18000, 22000), (23000, 27000)]


class WiderEar(TruthEar):
    """Hears sentence 1 better on a window holding all of it and the ad-lib after it."""

    def words(self, samples: np.ndarray, tokens: list[int]) -> list[EarWord]:
        out = super().words(samples, tokens)
        offset = (samples.ctypes.data - self.recording.ctypes.data) / 4 / RATE
        if offset <= 6.05 and offset + samples.size / RATE > 11.5:
            out = [EarWord(w.text, w.start, w.end, min(0.99, w.probability * 1.8))
                   if t // 6 == 1 else w for t, w in zip(tokens, out, strict=True)]
        return out


def test_a_stretched_sentence_heard_inside_its_span_ends_where_it_is_heard() -> None:
    ear = WiderEar(np.zeros(RATE * 28, dtype=np.float32), SAID)
    listener = Listener(ear, ear.recording, [_text(k) for k in range(5)], 300)
    acoustic = [_s(k, int(1000 * a), int(1000 * b)) for k, (a, b) in SAID.items()]
    acoustic[1] = _s(1, 6000, 12400, conf=0.3)  # over the ad-lib: 1.6x its length
    assert listener.contrast(1, 6000, 12400).contrast > listener.contrast(1, 6000, 10000
                                                                          ).contrast + 0.2
    out, moved = check(acoustic, listener, REGIONS)
    assert moved[1] and out[1].start_ms == 6000, out[1]
    assert abs(out[1].end_ms - 10000) <= 300, out[1]
