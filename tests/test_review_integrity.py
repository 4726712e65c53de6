"""Review integrity (issue 14), on SQLite and PostgreSQL: approvals stay on their sentence
and are withdrawn when the source changes; QA re-runs on every save and import; each refusal
has its reason; language approval is one locked transaction; XLIFF import is
all-or-nothing. Target texts are markers derived from the source, never invented text."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.core.languages import Registry
from pipeline.core.types import AlignedSentence, Alignment, Cue
from pipeline.ingest import IngestOptions, load_lesson
from pipeline.review.exchange import export_xliff, import_xliff
from pipeline.review.gate import GateResult, review_gate
from pipeline.review.store import ReviewStore
from pipeline.subtitles.segment import segment
from pipeline.translate.drafts import TranslatedCue, Translation
from tests import test_review_dbs as dbs

db_url, fast_passwords, pg_server = dbs.db_url, dbs.fast_passwords, dbs.pg_server

PASSWORD = "correct horse 9"
SCRIPT = ["# Mở ứng dụng", "Mở ứng dụng ngân hàng trên điện thoại.",
          "Bấm vào nút quét mã ở giữa màn hình.", "Đưa camera vào mã của cửa hàng.",
          "Kiểm tra tên cửa hàng rồi bấm xác nhận.", "Nhập mã được gửi qua tin nhắn."]


def marker(source: str) -> str:
    """A letters-only stand-in for a translation, unique to its source text."""
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return "hmn " + "".join(chr(97 + int(h, 16)) for h in digest[:10])


@pytest.fixture
def store(db_url: str) -> Iterator[ReviewStore]:
    s = ReviewStore(db_url)
    s.add_user("mai", PASSWORD, {"hmn": "reviewer", "en": "reviewer"})
    yield s
    s.engine.dispose()


def _lesson_dir(root: Path, lines: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "lesson.toml").write_text('id = "qr-pay"\ntitle = "Trả tiền bằng mã QR"\n'
                                      'languages = ["hmn"]\n', encoding="utf-8")
    (root / "script.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "recording.mp4").write_bytes(b"not probed by load_lesson")
    return root


def _run(store: ReviewStore, registry: Registry, folder: Path, out: Path,
         skipped: tuple[int, ...] = ()) -> tuple[list[Cue], GateResult]:
    """ingest (validation) → alignment (every sentence 4 s) → segment → drafts → gate."""
    lesson = load_lesson(folder, registry, IngestOptions())
    alignment = Alignment("test", tuple(
        AlignedSentence(s.index, s.chapter, s.text, 4000 * s.index, 4000 * s.index + 3500,
                        "skipped" if s.index in skipped else "matched", 1.0)
        for s in lesson.sentences))
    cues = segment(alignment, registry.source)
    drafts = Translation("hmn", tuple(
        TranslatedCue(c.index, c.sentence_index, c.start_ms, c.end_ms, c.text,
                      marker(c.text), "mt:test", cue_id=c.id) for c in cues))
    gate = review_gate(store, lesson.id, lesson.title, cues, {"hmn": drafts},
                       [registry.get("hmn")], out / "subtitles", ())
    return cues, gate


def _approve_all(store: ReviewStore, lesson: str = "qr-pay", lang: str = "hmn") -> None:
    """Approve every cue as drafted and give the title and chapter units (issue 31 item 9:
    they block the approval like cues) a marker text, approved."""
    for u in store.units(lesson, lang):
        # The marker keeps the source's do-not-translate names (QR), as a translation must.
        text = u.text or " ".join([marker(u.source)] + [w for w in u.source.split()
                                                         if w.isupper()])
        assert store.save("mai", lesson, lang, u.key, text, u.version, "approve").ok
    for c in store.cues(lesson, lang):
        assert store.save("mai", lesson, lang, c.key, c.text, c.version, "approve").ok
    assert store.approve_language("mai", lesson, lang)


def test_script_edit_keeps_translations_on_their_sentences(
        store: ReviewStore, registry: Registry, tmp_path: Path) -> None:
    """Issue 14 item 1: approve every Hmong cue, change one sentence, re-run."""
    folder = _lesson_dir(tmp_path / "qr-pay", SCRIPT)
    _run(store, registry, folder, tmp_path / "out")
    _approve_all(store)
    _, gate = _run(store, registry, folder, tmp_path / "out")
    assert gate.approved == {"hmn": "mai"} and gate.subtitles["hmn"]
    approved = {c.source: c.text for c in store.cues("qr-pay", "hmn")}

    edited = list(SCRIPT)
    edited[2] = "Bấm vào nút quét mã QR ở giữa màn hình."  # one sentence changed
    edited.insert(1, "Chào bà con.")  # one inserted before everything
    _, gate = _run(store, registry, _lesson_dir(folder, edited), tmp_path / "out")
    assert "hmn" not in gate.approved and gate.awaiting == ["hmn"]
    assert "hmn" not in gate.subtitles  # and the earlier finals are withdrawn:
    assert not list((tmp_path / "out" / "subtitles").glob("hmn.*"))
    assert not store.is_approved("qr-pay", "hmn")
    views = store.cues("qr-pay", "hmn")
    for v in views:  # nothing moved: every text belongs to its own source
        if v.source in approved:
            assert (v.text, v.state) == (approved[v.source], "approved")
        else:
            assert v.text == marker(v.source) and v.state != "approved"
    changed = next(v for v in views if "mã QR" in v.source)
    assert changed.state == "needs_review"
    assert changed.suggestion == approved["Bấm vào nút quét mã ở giữa màn hình."]
    assert any(a.action == "approval_withdrawn" for a in store.audit("qr-pay"))


def test_skipped_and_removed_sentences_leave_others_approved(
        store: ReviewStore, registry: Registry, tmp_path: Path) -> None:
    folder = _lesson_dir(tmp_path / "qr-pay", SCRIPT)
    _run(store, registry, folder, tmp_path / "out")
    _approve_all(store)
    before = {c.source: c.text for c in store.cues("qr-pay", "hmn")}
    _, gate = _run(store, registry, folder, tmp_path / "out", skipped=(1,))
    assert "hmn" not in gate.approved  # the set of cues changed: approve again
    after = store.cues("qr-pay", "hmn")
    assert len(after) == len(before) - 1
    assert all(v.text == before[v.source] and v.state == "approved" for v in after)
    assert store.approve_language("mai", "qr-pay", "hmn")  # nothing else to redo
    _, gate = _run(store, registry, folder, tmp_path / "out", skipped=(1,))
    assert gate.approved == {"hmn": "mai"}


def _one_cue(store: ReviewStore, source: str, target: str, lang: str = "en") -> str:
    cue = Cue(0, 0, 0, 2000, (source,), "a" * 16 + "-1.1", 1)
    store.sync_lesson("l1", "T", [cue], {lang: [TranslatedCue(
        0, 0, 0, 2000, source, target, "mt:test", cue_id=cue.id)]})
    return cue.id


def test_checks_rerun_on_every_save_and_block_approval(store: ReviewStore) -> None:
    """Item 2: a human save re-runs QA; '54,000' for '45.000' is an error that blocks
    approval unless the approver writes a reason (audited)."""
    key = _one_cue(store, "Trả 45.000 đồng cho cửa hàng.", "Pay.")
    first = store.cues("l1", "en")[0]
    result = store.save("mai", "l1", "en", key, "Pay 45,000 dong to the shop.", first.version)
    assert result.ok and result.checks == []  # old findings are gone
    assert store.history("l1", "en", key)[-1].checks == []
    for same in ("Pay 45 000 dong to the shop.", "Pay 45000 dong to the shop."):
        result = store.save("mai", "l1", "en", key, same, result.version)
        assert result.ok and not result.checks, result.checks
    result = store.save("mai", "l1", "en", key, "Pay 54,000 dong to the shop.",
                        result.version)
    assert result.ok and [c["code"] for c in result.checks] == ["numbers"]
    assert store.history("l1", "en", key)[-1].checks == result.checks
    refused = store.save("mai", "l1", "en", key, "Pay 54,000 dong to the shop.",
                         result.version, "approve")
    assert (refused.ok, refused.reason) == (False, "qa")
    assert store.cues("l1", "en")[0].state == "draft"
    forced = store.save("mai", "l1", "en", key, "Pay 54,000 dong to the shop.",
                        result.version, "approve", reason="the shop changed its price")
    assert forced.ok
    override = [a for a in store.audit("l1") if a.action == "qa_override"]
    assert override and override[0].detail["reason"] == "the shop changed its price"


def test_refusals_have_their_own_reason_and_origin_is_human(store: ReviewStore) -> None:
    """Item 3: approving an empty cue is 'empty', not a conflict; a person's text is
    human:<user>."""
    key = _one_cue(store, "Bấm nút xác nhận.", "")
    cue = store.cues("l1", "en")[0]
    empty = store.save("mai", "l1", "en", key, "", cue.version, "approve")
    assert (empty.ok, empty.reason) == (False, "empty")
    stale = store.save("mai", "l1", "en", key, "Press confirm.", cue.version + 5)
    assert (stale.ok, stale.reason) == (False, "conflict")
    saved = store.save("mai", "l1", "en", key, "Press the confirm button.", cue.version)
    assert saved.ok
    approved = store.save("mai", "l1", "en", key, "Press the confirm button.",
                          saved.version, "approve")
    assert approved.ok
    assert store.cues("l1", "en")[0].origin == "human:mai"


def test_language_approval_rechecks_under_a_lock(store: ReviewStore) -> None:
    """Item 3: a save arriving while the approval checks waits for it, and then withdraws
    it; never an approved language with a draft cue."""
    key = _one_cue(store, "Bấm nút xác nhận.", "Press the confirm button.")
    cue = store.cues("l1", "en")[0]
    approved = store.save("mai", "l1", "en", key, cue.text, cue.version, "approve")
    assert approved.ok
    original = store.language_blockers
    finished: list[bool] = []

    def save_meanwhile() -> None:
        store.save("mai", "l1", "en", key, "Press confirm now.", approved.version)

    def blockers_then_save(*args: object) -> list[int]:
        result = original(*args)  # type: ignore[arg-type]
        if not finished:
            worker = threading.Thread(target=save_meanwhile)
            worker.start()
            worker.join(timeout=1.5)
            finished.append(not worker.is_alive())
            threads.append(worker)
        return result

    threads: list[threading.Thread] = []
    store.language_blockers = blockers_then_save  # type: ignore[method-assign]
    assert store.approve_language("mai", "l1", "en")
    for worker in threads:
        worker.join(timeout=60)
    store.language_blockers = original  # type: ignore[method-assign]
    assert finished == [False]  # the save waited for the approval's transaction
    view = store.cues("l1", "en")[0]
    assert view.state == "draft" and not store.is_approved("l1", "en")


def test_xliff_import_is_all_or_nothing_and_final_never_approves(
        store: ReviewStore, tmp_path: Path) -> None:
    """Item 4."""
    cues = [Cue(i, i, 1000 * i, 1000 * i + 900, (f"Câu số {i}.",), f"{'b' * 16}-{i + 1}.1", 1)
            for i in range(3)]
    store.sync_lesson("l2", "T", cues, {"en": [TranslatedCue(
        c.index, c.index, c.start_ms, c.end_ms, c.text, f"Line {c.index}.", "mt:test",
        cue_id=c.id) for c in cues]})
    first = store.cues("l2", "en")[0]
    store.save("mai", "l2", "en", first.key, first.text, first.version, "approve")
    path = tmp_path / "l2.xlf"
    export_xliff(store, "l2", "en", path)
    exported = path.read_text(encoding="utf-8")
    assert exported.count('state="final"') == 1 and exported.count('state="translated"') == 2
    bad = exported.replace("Line 1.", "Line 1 edited.").replace("Line 2.", "Line 2\u202e.")
    (tmp_path / "bad.xlf").write_text(bad, encoding="utf-8")
    with pytest.raises(Exception, match="U\\+202E"):
        import_xliff(store, "mai", tmp_path / "bad.xlf")
    assert [c.text for c in store.cues("l2", "en")] == ["Line 0.", "Line 1.", "Line 2."]
    assert any(a.action == "import_xliff_refused" for a in store.audit())
    good = exported.replace("Line 2.", "Line 2 has 54,000 dong.").replace(
        'state="translated"', 'state="final"')
    (tmp_path / "good.xlf").write_text(good, encoding="utf-8")
    report = import_xliff(store, "mai", tmp_path / "good.xlf")
    assert report.applied == [2] and report.final_as_draft == [2]
    last = store.cues("l2", "en")[2]
    assert last.state == "draft" and "numbers" in [c["code"] for c in last.checks]
    assert not store.is_approved("l2", "en")
    export_xliff(store, "l2", "en", path)  # QA findings travel as notes
    assert "QA error numbers:" in path.read_text(encoding="utf-8")


def test_a_new_split_of_the_same_sentence_goes_back_to_review(store: ReviewStore) -> None:
    sid = "d" * 16 + "-1"
    halves = [Cue(0, 0, 0, 1500, ("Mở ứng dụng",), f"{sid}.1", 1),
              Cue(1, 0, 1500, 3000, ("ngân hàng.",), f"{sid}.2", 2)]

    def drafts(cues: list[Cue]) -> dict[str, list[TranslatedCue]]:
        return {"en": [TranslatedCue(c.index, 0, c.start_ms, c.end_ms, c.text, marker(c.text),
                                     "mt:test", cue_id=c.id) for c in cues]}

    store.sync_lesson("l3", "T", halves, drafts(halves))
    _approve_all(store, "l3", "en")
    old_first = store.cues("l3", "en")[0].text
    whole = [Cue(0, 0, 0, 3000, ("Mở ứng dụng ngân hàng.",), f"{sid}.1", 1)]
    report = store.sync_lesson("l3", "T", whole, drafts(whole))
    assert report.changed == [f"{sid}.1"] and report.retired == [f"{sid}.2"]
    assert report.revoked == ["en"] and not store.is_approved("l3", "en")
    (view,) = store.cues("l3", "en")
    assert (view.state, view.suggestion) == ("needs_review", old_first)
    assert view.text == marker("Mở ứng dụng ngân hàng.")
