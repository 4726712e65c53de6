"""Translation: TM, placeholders, MT backends on tiny models, re-splitting, XLIFF.

No test contains a translation into a minority language: target texts here are markers
("<<T1>>"), English, or the output of random-weight models.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.core.languages import Registry
from pipeline.core.types import Cue
from pipeline.translate.drafts import protect, resplit, restore, translate_cues
from pipeline.translate.glossary import Glossary, Term
from pipeline.translate.mt import MTEngine, MTOptions
from pipeline.translate.tm import TranslationMemory
from pipeline.translate.xliff import XliffUnit, read_xliff, write_xliff

CUES = [
    Cue(0, 0, 0, 2000, ("Mở ứng dụng Zalo,",)),
    Cue(1, 0, 2000, 4000, ("rồi quét mã QR ở quầy.",)),
    Cue(2, 1, 4500, 7000, ("Nhập số tiền 45.000 đồng.",)),
]


class EchoEngine(MTEngine):
    """Test double standing in for a model: returns its input with a marker prefix, so the
    placeholder and re-splitting logic around MT can be checked. Not a translation."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def model_label(self, family_name: str) -> str:
        return "mt:echo"

    def translate(self, texts: list[str], family_name: str, tag: str) -> list[str]:
        self.seen += texts
        return [f"ECHO {t}" for t in texts]


def test_protect_and_restore() -> None:
    p = protect("Mở Zalo Pay rồi quét mã QR.", {"mã QR": "QR code"}, ("Zalo Pay", "Zalo", "QR"))
    assert p.text == "Mở <t1> rồi quét <t2>."  # longest term first
    assert restore("Open <t1> then scan < T2 >.", p) == "Open Zalo Pay then scan QR code."
    assert restore("bad <t9> placeholder", p) == "bad placeholder"


def test_resplit_by_words_and_graphemes() -> None:
    assert resplit("one two three four five six", [10, 10]) == ["one two three", "four five six"]
    assert resplit("abcdefghij", [3, 7]) == ["abc", "defghij"]
    assert resplit("", [1, 1]) == ["", ""]
    assert resplit("one", [5]) == ["one"]


def test_tm_exact_and_fuzzy(tmp_path: Path) -> None:
    tm = TranslationMemory(tmp_path, "hmn")
    tm.add("Nhập mật khẩu để đăng nhập.", "<<T1>>", lesson="a")
    match = TranslationMemory(tmp_path, "hmn").lookup("Nhập  mật khẩu để đăng nhập.")
    assert match is not None and match.exact and match.entry.target == "<<T1>>"
    fuzzy = tm.lookup("Nhập mật khẩu để đăng nhập nhé.")
    assert fuzzy is not None and not fuzzy.exact and fuzzy.score >= 85
    assert tm.lookup("Bấm nút xác nhận.") is None
    assert tm.lookup("Nhập mật khẩu để đăng nhập nhé.", threshold=99) is None


def test_tm_survives_a_torn_line(tmp_path: Path) -> None:
    tm = TranslationMemory(tmp_path, "hmn")
    tm.add("Một.", "<<A>>")
    with open(tm.path, "a", encoding="utf-8") as f:
        f.write('{"source": "Hai.", "tar')
    assert TranslationMemory(tmp_path, "hmn").lookup("Một.") is not None


def test_human_language_uses_tm_then_waits(tmp_path: Path, registry: Registry) -> None:
    blt = registry.get("blt")
    tm = TranslationMemory(tmp_path, "blt")
    tm.add("Nhập số tiền 45.000 đồng.", "<<T2>> 45.000")
    result = translate_cues(CUES, blt, Glossary("blt", ()), (), tm, None)
    assert [c.origin for c in result.cues] == ["human", "human", "tm-exact"]
    assert [c.target for c in result.cues] == ["", "", "<<T2>> 45.000"]
    assert all(c.state == "draft" for c in result.cues)
    assert [(c.start_ms, c.end_ms) for c in result.cues] == [(0, 2000), (2000, 4000),
                                                              (4500, 7000)]


def test_whole_sentences_go_to_mt_and_come_back_split(tmp_path: Path,
                                                      registry: Registry) -> None:
    en = registry.get("en")
    glossary = Glossary("en", (Term("mã QR", "QR code", status="approved", source="test"),))
    engine = EchoEngine()
    result = translate_cues(CUES, en, glossary, ("Zalo", "QR"), TranslationMemory(tmp_path, "en"),
                            engine)
    # One MT call per sentence, glossary terms and names as placeholders.
    assert engine.seen == ["Mở ứng dụng <t2>, rồi quét <t1> ở quầy.",
                           "Nhập số tiền 45.000 đồng."]
    first, second = result.cues[0], result.cues[1]
    joined = f"{first.target} {second.target}"
    assert joined == "ECHO Mở ứng dụng Zalo, rồi quét QR code ở quầy."
    assert first.origin == "mt:echo" and first.sentence == second.sentence == 0
    codes = {c.code for c in first.checks}
    assert "placeholder" not in codes and "glossary" not in codes and "dnt" not in codes


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
@pytest.mark.parametrize(("code", "family"), [("hmn", "madlad"), ("km", "nllb")])
def test_tiny_models_real_loading_path(backend: str, code: str, family: str, tiny_models: Path,
                                       registry: Registry, tmp_path: Path) -> None:
    lang = registry.get(code)
    assert lang.mt == family
    opts = MTOptions(backend=backend, model_dir=tiny_models,
                     models=(("madlad", "tiny-madlad"), ("nllb", "tiny-nllb")), batch_size=2,
                     max_length=12)
    engine = MTEngine(opts)
    result = translate_cues(CUES, lang, Glossary(code, ()), ("Zalo", "QR"),
                            TranslationMemory(tmp_path, code), engine)
    suffix = "-ct2" if backend == "ctranslate2" else ""
    assert {c.origin for c in result.cues} == {f"mt:tiny-{family}{suffix}"}
    assert len(result.cues) == len(CUES)
    # Random weights: whatever comes out is checked, never trusted.
    assert all(c.checks for c in result.cues)
    assert result.note == ""


def test_missing_mt_model_is_reported_and_work_continues(tmp_path: Path,
                                                         registry: Registry) -> None:
    engine = MTEngine(MTOptions(model_dir=tmp_path / "none"))
    result = translate_cues(CUES, registry.get("hmn"), Glossary("hmn", ()), (),
                            TranslationMemory(tmp_path, "hmn"), engine)
    assert "caunoi models download" in result.note
    assert all(c.target == "" for c in result.cues)


def test_xliff_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "blt.xlf"
    write_xliff(path, [XliffUnit("c0", "Xin chào", "", ("câu 1",)),
                       XliffUnit("c1", "Bấm nút", "<<T1>>", ("câu 2",))], "vi", "blt")
    lang, units = read_xliff(path)
    assert lang == "blt"
    assert [(u.id, u.source, u.target) for u in units] == [("c0", "Xin chào", ""),
                                                            ("c1", "Bấm nút", "<<T1>>")]
    text = path.read_text(encoding="utf-8")
    assert 'version="2.0"' in text and text.index("<notes>") < text.index("<segment")


def test_no_space_script_lines_fit(registry: Registry) -> None:
    th = replace(registry.get("th"), reading=replace(registry.get("th").reading,
                                                     max_line_chars=10))
    from pipeline.subtitles.segment import fit_lines

    assert all(len(line) <= 10 for line in fit_lines("abc defgh ijk lmnop", th))
