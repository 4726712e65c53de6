"""Left from stop 28, item 3: the portal's lesson page parsed a .docx script twice a view
(its check and its edit box; ~18 s each for a .docx just under the 8 MB XML limit), on
every refresh. A document is now parsed once per version of the file (path, inode, size,
times); a replaced or edited file is parsed again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import pipeline.core.documents as documents
from pipeline.core.documents import ScriptDocumentError, read_script_document
from tests import test_portal_web as web
from tests.test_portal_web import _rec, hand_in, upload_all
from tests.test_review_dbs import fast_passwords as fast_passwords
from tests.test_review_workbench import login
from tests.test_script_documents import VI, _docx

client, launcher, portal_settings, store = web.client, web.launcher, web.portal_settings, \
    web.store


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every .docx parse, by path."""
    seen: list[Path] = []
    real = documents._docx_lines

    def counting(path: Path) -> list[str]:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(documents, "_docx_lines", counting)
    # A fresh cache (absent before left30: raising=False).
    monkeypatch.setattr(documents, "_READ", __import__("collections").OrderedDict(),
                        raising=False)
    return seen


def test_the_lesson_page_parses_a_word_script_once_per_version(
        client: TestClient, short_lesson: Path, portal_settings: web.Settings,
        parsed: list[Path]) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    folder = portal_settings.lessons_dir / lesson_id
    (folder / "script.md").unlink()
    _docx(folder / "script.docx", VI[0], VI[1:])

    page = client.get(f"/portal/l/{lesson_id}").text
    assert 'id="check-ok"' in page and VI[1] in page
    assert len(parsed) == 1, f"one view parsed the .docx {len(parsed)} times"
    client.get(f"/portal/l/{lesson_id}")
    assert len(parsed) == 1  # a refresh: the same file, not parsed again

    # The team replaces the document: the next view reads the new one.
    changed = "Bấm nút xác nhận để trả tiền."
    _docx(folder / "script.docx", VI[0], [*VI[1:], changed])
    page = client.get(f"/portal/l/{lesson_id}").text
    assert changed in page and len(parsed) == 2


def test_a_document_edited_in_place_is_read_again(tmp_path: Path, parsed: list[Path]) -> None:
    path = _docx(tmp_path / "script.docx", VI[0], VI[1:2])
    assert read_script_document(path).text.endswith(VI[1])
    assert read_script_document(path) == read_script_document(path) and len(parsed) == 1
    before = path.stat()
    _docx(path, VI[0], VI[2:3])  # rewritten in place (same inode), maybe the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert read_script_document(path).text.endswith(VI[2]) and len(parsed) == 2


def test_a_broken_document_is_refused_every_time_and_parsed_once(
        tmp_path: Path, parsed: list[Path]) -> None:
    broken = tmp_path / "script.docx"
    with __import__("zipfile").ZipFile(broken, "w") as z:
        z.writestr("word/document.xml", "<not a document")
    for _ in range(3):
        with pytest.raises(ScriptDocumentError) as e:
            read_script_document(broken)
        assert e.value.context["path"] == str(broken)
    assert len(parsed) == 1
