"""The deviation report: where the narration and the script differ, for the content team."""

from __future__ import annotations

from pipeline.core.types import Alignment, Lesson, Transcript

__all__ = ["deviation_report"]


def _t(ms: int) -> str:
    s = ms / 1000
    return f"{int(s // 60):02d}:{s % 60:05.2f}"


def deviation_report(lesson: Lesson, alignment: Alignment, low_confidence: float = 0.5,
                     transcript: Transcript | None = None) -> str:
    """Markdown (Vietnamese headings, English in brackets) listing skipped sentences, ad-libs
    and low-confidence sentences, with times to find them in the recording; with a
    transcript, also the spans of speech that had no usable transcript."""
    skipped = [s for s in alignment.sentences if s.status == "skipped"]
    adlibs = [s for s in alignment.sentences if s.status == "ad-lib"]
    weak = [s for s in alignment.sentences
            if s.status == "matched" and s.confidence < low_confidence]
    matched = sum(s.status == "matched" for s in alignment.sentences)
    lines = [
        f"# Báo cáo căn chỉnh — {lesson.title}",
        "",
        f"Bài học `{lesson.id}` · bộ căn chỉnh (aligner): `{alignment.aligner}` · "
        f"{matched}/{len(lesson.sentences)} câu khớp (sentences matched)",
        "",
        f"## Câu có trong kịch bản nhưng không được đọc (skipped): {len(skipped)}",
        "",
    ]
    lines += [f"- câu {s.index + 1 if s.index is not None else '?'} (gần {_t(s.start_ms)}): "
              f"{s.text}" for s in skipped] or ["- không có (none)"]
    lines += ["", f"## Lời nói ngoài kịch bản (ad-lib): {len(adlibs)}", ""]
    lines += [f"- {_t(s.start_ms)}–{_t(s.end_ms)}: "
              f"{s.text or '(không có bản ghi lời / no transcript)'}" for s in adlibs] or [
        "- không có (none)"]
    lines += ["", f"## Câu khớp với độ tin cậy thấp (< {low_confidence:.0%}): {len(weak)}", ""]
    lines += [f"- câu {s.index + 1 if s.index is not None else '?'} {_t(s.start_ms)}–"
              f"{_t(s.end_ms)} ({s.confidence:.0%}): {s.text}" for s in weak] or [
        "- không có (none)"]
    if transcript is not None:
        reasons = {"loop": "lặp vô nghĩa, đã bỏ (repetition loop, dropped)",
                   "empty": "không nhận ra lời (nothing recognised)"}
        lines += ["", "## Đoạn không có bản ghi lời dùng được (no usable transcript): "
                  f"{len(transcript.unusable)}", ""]
        lines += [f"- {_t(a)}–{_t(b)}: {reasons.get(r, r)}" for a, b, r in transcript.unusable
                  ] or ["- không có (none)"]
    lines.append("")
    return "\n".join(lines)
