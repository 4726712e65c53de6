"""Voice recordings of narration sentences: the store's recordings collaborator.

A narration sentence is a lesson's cues of one ``sentence_key`` (its parts, in order); its
text in a language is the parts' texts joined, *approved* when every part is. One current
recording per lesson × language × sentence, its file under the output folder
(``<lesson>/voice/<lang>/<sentence id>.<ext>``, written through a ``.part`` file), recorded
against the text's hash: once the approved text changes the recording is stale and leaves
the dub. Reviewers of the language approve or reject recordings (with a reason); every
change is audited, like cues. Speakers give their consent once, with the name they are
credited by.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from pipeline.core.errors import CaunoiError
from pipeline.core.storage import atomic_path
from pipeline.review.accounts import Accounts
from pipeline.review.audit import Audit
from pipeline.review.db import Database, NotFoundError
from pipeline.review.i18n_voice import VOICE
from pipeline.review.tables import (
    CueRow,
    Translation,
    User,
    VoiceRecordingRow,
    VoiceSpeaker,
    utcnow,
)
from pipeline.voice.check import RecordingInfo
from pipeline.voice.types import HUMAN, Recording, text_sha256

__all__ = ["VOICE", "ConsentMissingError", "Recordings", "SentenceNotApprovedError", "SentenceView",
           "VoiceSentence", "slot_ms"]

STATUSES = ("recorded", "approved", "rejected")


class ConsentMissingError(CaunoiError):
    key = "errors.voice_consent_missing"
    exit_code = 2


class SentenceNotApprovedError(CaunoiError):
    key = "errors.voice_sentence_not_approved"
    exit_code = 2


@dataclass(frozen=True)
class VoiceSentence:
    """A narration sentence of a lesson in one language."""

    number: int
    key: str
    # The Vietnamese source, parts joined.
    source: str
    # The translation, parts joined ("" when a part is untranslated).
    text: str
    approved: bool
    # The first part's cue key (its clip is the sentence's start) and the span of all parts.
    first_cue: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class SentenceView:
    """A sentence and its current recording (None when nobody recorded it)."""

    sentence: VoiceSentence
    recording: VoiceRecordingRow | None

    @property
    def stale(self) -> bool:
        rec = self.recording
        return rec is not None and rec.text_sha256 != text_sha256(self.sentence.text)

    @property
    def done(self) -> bool:
        """Approved, and for the approved text of now."""
        return (self.sentence.approved and self.recording is not None
                and self.recording.status == "approved" and not self.stale)


def sentences(s: Session, lesson_id: str, lang: str) -> list[VoiceSentence]:
    """The lesson's narration sentences in ``lang``, in script order, numbered from 1."""
    rows = s.execute(select(CueRow, Translation)
                     .join(Translation, Translation.cue_id == CueRow.id)
                     .where(CueRow.lesson_id == lesson_id, CueRow.active,
                            CueRow.kind == "cue", Translation.lang == lang)
                     .order_by(CueRow.idx)).all()
    out = []
    groups = itertools.groupby(rows, key=lambda r: r[0].sentence_key or r[0].key)
    for number, (key, group) in enumerate(groups, start=1):
        parts = list(group)
        texts = [t.text for _, t in parts]
        out.append(VoiceSentence(
            number, key, " ".join(c.source for c, _ in parts),
            " ".join(texts) if all(texts) else "",
            all(t.state == "approved" and t.text for _, t in parts), parts[0][0].key,
            parts[0][0].start_ms, parts[-1][0].end_ms))
    return out


def slot_ms(views: list[SentenceView], number: int) -> int:
    """Sentence ``number``'s slot in the original: from its start to the next sentence's
    (the last: to its own end), as the dub places it."""
    this = views[number - 1].sentence
    end = views[number].sentence.start_ms if number < len(views) else this.end_ms
    return max(0, end - this.start_ms)


class Recordings:
    """Recordings on ``db`` (their files under the output folder each change names)."""

    def __init__(self, db: Database, accounts: Accounts | None = None,
                 audit: Audit | None = None) -> None:
        self.db = db
        self.audit = audit or Audit(db)
        self.accounts = accounts or Accounts(db, self.audit)

    # --- speakers ----------------------------------------------------------------------

    def consent(self, username: str, name: str) -> None:
        """Record ``username``'s consent to publish their voice, credited as ``name``."""
        with self.db.session() as s:
            user = self._user(s, username)
            row = s.scalar(select(VoiceSpeaker).where(VoiceSpeaker.user_id == user.id))
            if row is None:
                row = VoiceSpeaker(user_id=user.id, name=name)
                s.add(row)
            row.name, row.consent, row.consented_at = name or user.display_name, True, utcnow()
            self.audit.write(s, username, "voice_consent", detail={"name": row.name})

    def speaker(self, username: str) -> VoiceSpeaker | None:
        with self.db.session() as s:
            user = self._user(s, username)
            return s.scalar(select(VoiceSpeaker).where(VoiceSpeaker.user_id == user.id))

    @staticmethod
    def _user(s: Session, username: str) -> User:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFoundError(what=f"user {username}")
        return user

    # --- reading -----------------------------------------------------------------------

    def sentences(self, lesson_id: str, lang: str) -> list[SentenceView]:
        with self.db.session() as s:
            found = {r.sentence_key: r for r in s.scalars(
                select(VoiceRecordingRow).where(VoiceRecordingRow.lesson_id == lesson_id,
                                                VoiceRecordingRow.lang == lang))}
            return [SentenceView(x, found.get(x.key)) for x in sentences(s, lesson_id, lang)]

    def progress(self, lesson_id: str, lang: str) -> tuple[int, int]:
        """(sentences with an approved, current recording, all sentences)."""
        views = self.sentences(lesson_id, lang)
        return sum(v.done for v in views), len(views)

    @staticmethod
    def path(row: VoiceRecordingRow) -> Path:
        return Path(row.file)

    def approved_recordings(self, lesson_id: str, lang: str) -> list[Recording]:
        """One approved, current recording per narration sentence, in order, when every
        sentence has one; else ``[]`` (the language keeps today's outputs)."""
        views = self.sentences(lesson_id, lang)
        if not views or not all(v.done for v in views):
            return []
        with self.db.session() as s:
            consent = {u: c for u, c in s.execute(
                select(User.username, VoiceSpeaker.consent)
                .join(VoiceSpeaker, VoiceSpeaker.user_id == User.id))}
        out = []
        for v in views:
            r = v.recording
            assert r is not None
            out.append(Recording(
                lesson_id=lesson_id, language=lang, sentence_id=v.sentence.key,
                number=v.sentence.number, speaker=r.speaker, file=r.file,
                sha256=r.sha256, duration_ms=r.duration_ms, text_sha256=r.text_sha256,
                source=r.source, speaker_consent=bool(consent.get(r.speaker, False)),
                speaker_name=r.speaker_name or r.speaker))
        return out

    # --- changes -----------------------------------------------------------------------

    def store(self, username: str, lesson_id: str, lang: str, sentence_key: str,
              src: Path, info: RecordingInfo, out_dir: Path,
              source: str = HUMAN) -> VoiceRecordingRow:
        """Keep ``src`` (already checked: ``info``) as ``username``'s recording of the
        sentence in ``out_dir/<lesson>/voice/<lang>/``, replacing the one before.

        Raises:
            NotAllowedError: ``username`` may not record ``lang``.
            ConsentMissingError: a person's voice without their consent on record.
            SentenceNotApprovedError: the sentence has no approved text to read.
            NotFoundError: no such sentence.
        """
        self.accounts.require(username, lang, "record")
        with self.db.session() as s:
            self.db.lock_lesson(s, lesson_id)
            sentence = self._sentence(s, lesson_id, lang, sentence_key)
            user = self._user(s, username)
            speaker = s.scalar(select(VoiceSpeaker).where(VoiceSpeaker.user_id == user.id))
            if source == HUMAN and (speaker is None or not speaker.consent):
                raise ConsentMissingError(user=username)
            dst = (out_dir / lesson_id / "voice" / lang
                   / f"{sentence_key}{src.suffix.lower()}").resolve()
            row = s.scalar(self._where(lesson_id, lang, sentence_key))
            if row is not None and row.file != str(dst):
                Path(row.file).unlink(missing_ok=True)
            dst.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(dst) as tmp:
                shutil.copyfile(src, tmp)
            if row is None:
                row = VoiceRecordingRow(lesson_id=lesson_id, lang=lang,
                                        sentence_key=sentence_key)
                s.add(row)
            row.number, row.file, row.sha256 = sentence.number, str(dst), info.sha256
            row.duration_ms, row.speaker, row.source = info.duration_ms, username, source
            row.speaker_name = speaker.name if speaker else username
            row.text_sha256 = text_sha256(sentence.text)
            row.status, row.reason, row.reviewer = "recorded", "", ""
            row.created_at, row.decided_at = utcnow(), None
            self.audit.write(s, username, "voice_record", lesson_id, lang, detail={
                "sentence": sentence_key, "number": sentence.number, "sha256": info.sha256,
                "duration_ms": info.duration_ms, "source": source})
            return row

    def decide(self, username: str, lesson_id: str, lang: str, sentence_key: str,
               approve: bool, reason: str = "") -> None:
        """Approve or reject (with ``reason``) the sentence's current recording.

        Raises:
            NotAllowedError: ``username`` is not a reviewer of ``lang``.
            NotFoundError: no recording of that sentence.
        """
        self.accounts.require(username, lang, "approve")
        with self.db.session() as s:
            self.db.lock_lesson(s, lesson_id)
            row = s.scalar(self._where(lesson_id, lang, sentence_key))
            if row is None:
                raise NotFoundError(what=f"recording {sentence_key} of {lesson_id} ({lang})")
            row.status = "approved" if approve else "rejected"
            row.reason, row.reviewer, row.decided_at = reason, username, utcnow()
            self.audit.write(s, username, "voice_" + row.status, lesson_id, lang, detail={
                "sentence": sentence_key, "number": row.number, "sha256": row.sha256,
                "reason": reason})

    def delete(self, username: str, lesson_id: str, lang: str, sentence_key: str) -> None:
        """Remove the sentence's recording (and its file): the next dub goes without it.

        Raises:
            NotAllowedError: not its speaker, nor a reviewer of ``lang``.
            NotFoundError: no recording of that sentence.
        """
        with self.db.session() as s:
            row = s.scalar(self._where(lesson_id, lang, sentence_key))
            if row is None:
                raise NotFoundError(what=f"recording {sentence_key} of {lesson_id} ({lang})")
            if row.speaker != username:
                self.accounts.require(username, lang, "approve")
            Path(row.file).unlink(missing_ok=True)
            s.execute(delete(VoiceRecordingRow).where(VoiceRecordingRow.id == row.id))
            self.audit.write(s, username, "voice_delete", lesson_id, lang, detail={
                "sentence": sentence_key, "number": row.number, "sha256": row.sha256})

    def _sentence(self, s: Session, lesson_id: str, lang: str, key: str) -> VoiceSentence:
        found = next((x for x in sentences(s, lesson_id, lang) if x.key == key), None)
        if found is None:
            raise NotFoundError(what=f"sentence {key} of {lesson_id} ({lang})")
        if not found.approved:
            raise SentenceNotApprovedError(number=found.number)
        return found

    @staticmethod
    def _where(lesson_id: str, lang: str, key: str) -> Select[VoiceRecordingRow]:
        return select(VoiceRecordingRow).where(VoiceRecordingRow.lesson_id == lesson_id,
                                               VoiceRecordingRow.lang == lang,
                                               VoiceRecordingRow.sentence_key == key)
