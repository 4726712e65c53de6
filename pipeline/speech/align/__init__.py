"""Stage 3: align script sentences to the narration.

Aligners are plugins: subclass :class:`Aligner`, give it a ``name``, add it to ``ALIGNERS``.
``align()`` is the one entry point the rest of the pipeline uses.
"""

from __future__ import annotations

import logging

from pipeline.core.errors import ModelMissingError, UnknownNameError
from pipeline.core.types import Alignment, Ingested, Transcript
from pipeline.speech.align.base import Aligner, AlignOptions
from pipeline.speech.align.dtw import DTWAligner
from pipeline.speech.align.ear_check import EarCheckAligner
from pipeline.speech.align.forced import WhisperAligner
from pipeline.speech.align.hybrid import HybridAligner
from pipeline.speech.align.proportional import ProportionalAligner
from pipeline.speech.align.transcript import TranscriptAligner

__all__ = ["ALIGNERS", "AlignOptions", "Aligner", "align", "choose_aligner"]

log = logging.getLogger("caunoi.align")

ALIGNERS: dict[str, type[Aligner]] = {
    WhisperAligner.name: WhisperAligner,
    EarCheckAligner.name: EarCheckAligner,
    HybridAligner.name: HybridAligner,
    TranscriptAligner.name: TranscriptAligner,
    DTWAligner.name: DTWAligner,
    ProportionalAligner.name: ProportionalAligner,
}

#: Preference order for ``aligner = "auto"``: the first one that can run is used. With an
#: installed Whisper model, "ear": the acoustic alignment checked by the model only where it
#: is unsure (issue 29: on lessons nobody tuned on, seeds 9200-9201, it cut false skips 5 -> 3
#: and the p95 error 2810 -> 1911 ms, adding 10-16 s of compute per minute of audio on a
#: loaded 2-core box, less than the free transcription auto used to spend). The transcript
#: aligner alone is never chosen: a weak transcript would call spoken sentences skipped;
#: the hybrid uses a transcript as evidence when one is given (the pipeline transcribes only
#: for aligners that read it). The whole script forced ("whisper") is asked for by name:
#: measured on 10 hard-narrator lessons it changed no sentence's start and cost 45-70 s per
#: minute of audio.
AUTO_ORDER: tuple[str, ...] = ("hybrid", "ear", "dtw", "proportional")


def _has_model(opts: AlignOptions | None) -> bool:
    if opts is None or opts.asr is None:
        return False
    from pipeline.speech.transcribe import asr_model_path

    try:
        asr_model_path(opts.asr.model_dir, opts.asr.backend, opts.asr.model)
    except ModelMissingError:
        return False
    return True


def choose_aligner(name: str, transcript: Transcript | None,
                   ingested: Ingested | None = None,
                   opts: AlignOptions | None = None) -> Aligner:
    """Return the aligner called ``name`` ("auto": the best one usable with ``transcript``
    and the model of ``opts``; a transcript that does not resemble the script is
    ignored)."""
    if name == "auto":
        for candidate in AUTO_ORDER:
            aligner = ALIGNERS[candidate]()
            if not aligner.can_run(transcript):
                continue
            if isinstance(aligner, (WhisperAligner, EarCheckAligner)) and not _has_model(opts):
                continue
            if (isinstance(aligner, HybridAligner) and ingested is not None
                    and transcript is not None
                    and not TranscriptAligner().usable(ingested, transcript)):
                log.warning("transcript does not match the script: not used for alignment")
                continue
            return aligner
        name = AUTO_ORDER[-1]
    try:
        return ALIGNERS[name]()
    except KeyError:
        raise UnknownNameError(kind="aligner", name=name,
                               known=", ".join(["auto", *ALIGNERS])) from None


def align(ingested: Ingested, transcript: Transcript | None,
          opts: AlignOptions | None = None) -> Alignment:
    """Give every script sentence a start, end, status and confidence.

    Args:
        ingested: the ingested lesson (sentences and analysis WAV).
        transcript: the ASR transcript, or None when no ASR model is available.
        opts: which aligner and its options.

    Returns:
        One aligned sentence per script sentence, in script order.
    """
    opts = opts or AlignOptions()
    aligner = choose_aligner(opts.aligner, transcript, ingested, opts)
    log.info("aligning %d sentences with %s", len(ingested.lesson.sentences), aligner.name)
    return aligner.align(ingested, transcript, opts)
