"""The translate step's XLIFF work package comes back through ``caunoi review import``
(issue 15 item 8): both name a unit ``<lesson>:<cue key>:v<version>``."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.languages import Registry
from pipeline.core.types import Cue
from pipeline.review.exchange import import_xliff
from pipeline.review.store import ReviewStore
from pipeline.steps.translate import _write_translation
from pipeline.translate.drafts import TranslatedCue, Translation
from pipeline.translate.xliff import XliffUnit, read_xliff, unit_id, write_xliff

LESSON = "qr-market"
SOURCES = ["Mở ứng dụng ngân hàng.", "Bấm nút xác nhận."]


def test_work_package_imports_into_the_review_store(tmp_path: Path,
                                                    registry: Registry) -> None:
    cues = [Cue(i, i, 1000 * i, 1000 * i + 900, (s,), f"{'a' * 15}{i}-1.1", 1)
            for i, s in enumerate(SOURCES)]
    drafts = [TranslatedCue(c.index, c.index, c.start_ms, c.end_ms, c.text, "", "human",
                            cue_id=c.id) for c in cues]
    json_path = tmp_path / "out" / LESSON / "translations" / "hmn.json"
    json_path.parent.mkdir(parents=True)
    files = _write_translation(Translation("hmn", tuple(drafts)), registry.get("hmn"), "vi",
                               json_path, LESSON)
    xlf = next(f for f in files if f.suffix == ".xlf")
    lang, units = read_xliff(xlf)
    assert lang == "hmn" and [u.id for u in units] == [unit_id(LESSON, str(c.id)) for c in cues]
    # The translator fills the targets and sends the file back.
    done = tmp_path / "back.xlf"
    write_xliff(done, [XliffUnit(u.id, u.source, f"TARGET-{k}", u.notes)
                       for k, u in enumerate(units)], "vi", "hmn")
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    store.sync_lesson(LESSON, "T", cues, {"hmn": drafts})
    store.add_user("tom", "correct horse 9", {"hmn": "translator"})
    report = import_xliff(store, "tom", done)
    assert (report.applied, report.conflicts) == ([0, 1], [])
    assert [c.text for c in store.cues(LESSON, "hmn")] == ["TARGET-0", "TARGET-1"]
    # Imported again, the package's version is stale: a conflict, nothing overwritten.
    again = import_xliff(store, "tom", done)
    assert again.applied == [] and again.unchanged == [0, 1]
    store.engine.dispose()
