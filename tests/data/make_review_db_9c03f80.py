"""Make a review database with the code of 9c03f80 (before the portal had its own
migrations): users with roles and editor teams, a lesson with cues, a save, an approval, a
portal lesson, the audit log. Run with PYTHONPATH=<export of 9c03f80>."""

import sqlite3
import sys

from argon2 import PasswordHasher
from pipeline.portal.registry import add_lesson

from pipeline.core.types import Cue
from pipeline.review import security
from pipeline.review.store import ReviewStore
from pipeline.translate.drafts import TranslatedCue

security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
url = sys.argv[1]
store = ReviewStore(url)
store.add_user("lan", "correct horse 9", {}, teams=("laocai",))
store.add_user("mai", "correct horse 9", {"hmn": "reviewer"})
cues = [Cue(0, 0, 0, 900, ("Bấm nút xác nhận.",), "aaaaaaaaaaaaaaaa-1.1", 1),
        Cue(1, 1, 1000, 1900, ("Quét mã QR.",), "bbbbbbbbbbbbbbbb-1.1", 1)]
store.sync_lesson("qr-1", "Mã QR", cues, {"hmn": [
    TranslatedCue(c.index, c.index, c.start_ms, c.end_ms, c.text, f"DRAFT-{c.index}",
                  "mt:test", cue_id=c.id) for c in cues]})
for c in store.cues("qr-1", "hmn"):
    store.save("mai", "qr-1", "hmn", c.key, f"Nyem {c.idx}", c.version, "approve",
               "the old database keeps an override too")
assert store.approve_language("mai", "qr-1", "hmn")
add_lesson(store, "qr-1", "laocai", "Mã QR", "lan")
store.engine.dispose()
if url.startswith("sqlite:///"):
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("VACUUM")
    db.close()
print("made", url)
