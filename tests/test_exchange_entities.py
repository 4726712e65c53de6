"""An XLIFF or TBX file that declares entities is refused before any text is read: an
external entity as a target was imported as an empty translation ("Applied")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.core.errors import LessonConfigError
from pipeline.core.types import Cue
from pipeline.review.exchange import export_xliff, import_xliff
from pipeline.review.store import ReviewStore
from pipeline.translate.drafts import TranslatedCue
from pipeline.translate.glossary import load_glossary
from pipeline.translate.tbx import export_tbx, import_tbx

LESSON = "qr-pay"
KEY = "c" * 16 + "-1.1"
DOCTYPE = ('<!DOCTYPE xliff [<!ENTITY secret SYSTEM "file:///etc/hostname">]>\n')


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    s = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    cue = Cue(0, 0, 0, 900, ("Mở ứng dụng.",), KEY, 1)
    s.sync_lesson(LESSON, "Trả tiền", [cue], {"en": [
        TranslatedCue(0, 0, 0, 900, cue.text, "en draft.", "mt:test", cue_id=cue.id)]})
    s.add_user("mai", "correct horse 9", {"en": "reviewer"})
    yield s
    s.engine.dispose()


def test_external_entity_target_refused(store: ReviewStore, tmp_path: Path) -> None:
    path = tmp_path / "en.xlf"
    export_xliff(store, LESSON, "en", path)
    text = path.read_text(encoding="utf-8")
    head, body = text.split("\n", 1) if text.startswith("<?xml") else ("", text)
    body = body.replace(">en draft.<", ">&secret;<")
    path.write_text(f"{head}\n{DOCTYPE}{body}", encoding="utf-8")
    before = store.cues(LESSON, "en")[0].text
    with pytest.raises(LessonConfigError) as e:
        import_xliff(store, "mai", path)
    assert "entities" in e.value.message("en")
    assert store.cues(LESSON, "en")[0].text == before


def test_tbx_with_entities_refused_and_bare_doctype_read(tmp_path: Path) -> None:
    glossaries = Path(__file__).resolve().parent.parent / "glossaries"
    out = tmp_path / "hmn.tbx"
    export_tbx(load_glossary(glossaries, "hmn"), out)
    text = out.read_text(encoding="utf-8")
    assert '<!DOCTYPE martif SYSTEM "' in text  # our export names its DTD (never loaded)
    target = tmp_path / "gl"
    target.mkdir()
    (target / "languages.toml").write_bytes((glossaries / "languages.toml").read_bytes())
    import_tbx(out, target, "hmn", "test")
    evil = tmp_path / "evil.tbx"
    doctype = next(line for line in text.split("\n") if line.startswith("<!DOCTYPE"))
    evil.write_text(text.replace(doctype, DOCTYPE.replace("xliff", "martif").strip())
                    .replace("<term>", "<term>&secret;", 1), encoding="utf-8")
    with pytest.raises(LessonConfigError):
        import_tbx(evil, target, "hmn", "test")
