"""Tables of the review store (SQLAlchemy 2). Schema changes go through Alembic migrations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "UNIT_BASE",
    "UNIT_KINDS",
    "Approval",
    "AuditEntry",
    "Base",
    "Comment",
    "CueRow",
    "GlossaryProposal",
    "LessonRow",
    "SessionRow",
    "Translation",
    "TranslationVersion",
    "User",
    "UserLanguage",
    "VoiceRecordingRow",
    "VoiceSpeaker",
    "utcnow",
]

#: Positions of the units that are not narration (title, chapters, interface words).
UNIT_BASE = 10_000_000
#: The kinds of unit that are not narration, in the order a lesson shows them.
UNIT_KINDS = ("title", "chapter", "ui")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # A disabled user cannot sign in; their sessions are ended.
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class SessionRow(Base):
    """A signed-in session, kept server-side so it can be ended at once."""

    __tablename__ = "sessions"
    # sha256 of the random token in the cookie (the token itself is never stored).
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class UserLanguage(Base):
    """A user's role for one language: translator (edit), reviewer (edit + approve)."""

    __tablename__ = "user_languages"
    __table_args__ = (UniqueConstraint("user_id", "lang"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))


class LessonRow(Base):
    __tablename__ = "lessons"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    video: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CueRow(Base):
    """A source cue, identified by ``key`` (``<sentence id>.<part>``, stable across edits of
    other sentences); ``idx`` is only its current position. A cue whose sentence left the
    script is kept (``active`` false, ``idx`` = -id) with its history. Units that are not
    narration (``kind`` title/chapter/ui) live here too, at positions from
    :data:`UNIT_BASE` on, so narration keeps its numbers."""

    __tablename__ = "cues"
    __table_args__ = (UniqueConstraint("lesson_id", "idx"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[str] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column(Integer)
    sentence: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int] = mapped_column(Integer)
    end_ms: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(80), default="")
    sentence_key: Mapped[str] = mapped_column(String(80), default="")
    part: Mapped[int] = mapped_column(Integer, default=0)
    # sha256 of ``source``: a translation made for another source text is stale.
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "cue" (narration), or a unit translated and approved like a cue: "title" (the
    # lesson's title), "chapter" (a chapter heading), "ui" (a word of the bundle page).
    kind: Mapped[str] = mapped_column(String(16), default="cue")


class Translation(Base):
    """The current translation of one cue into one language; ``version`` guards saves."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("cue_id", "lang"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cue_id: Mapped[int] = mapped_column(ForeignKey("cues.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(64), default="human")
    state: Mapped[str] = mapped_column(String(16), default="draft")
    checks: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The source hash this text translates.
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    # The approved text of an earlier source, offered when the source changed.
    suggestion: Mapped[str] = mapped_column(Text, default="")
    # The approver's reason for approving despite QA errors ("" when none).
    override: Mapped[str] = mapped_column(Text, default="")
    # Why the reviewer rejected the current text ("" unless the cue is rejected).
    rejection: Mapped[str] = mapped_column(Text, default="")


class TranslationVersion(Base):
    """Every version of every translation, never changed after it is written."""

    __tablename__ = "translation_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("translations.id",
                                                           ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    # QA findings on this version (JSON of ``QAIssue.to_json``).
    checks: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("translations.id",
                                                           ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Approval(Base):
    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("lesson_id", "lang"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[str] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    approved_by: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only: who did what, when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    lesson_id: Mapped[str] = mapped_column(String(64), default="")
    lang: Mapped[str] = mapped_column(String(16), default="")
    cue_idx: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class GlossaryProposal(Base):
    __tablename__ = "glossary_proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(String(16))
    vi: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    proposed_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class VoiceRecordingRow(Base):
    """A voice recording of one narration sentence (its cue parts joined) in one language:
    one current recording per sentence; re-recording replaces it (audited)."""

    __tablename__ = "voice_recordings"
    __table_args__ = (UniqueConstraint("lesson_id", "lang", "sentence_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[str] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    sentence_key: Mapped[str] = mapped_column(String(80))
    # The sentence's number in the script (from 1) when it was recorded.
    number: Mapped[int] = mapped_column(Integer)
    # Absolute: OUT/<lesson>/voice/<lang>/<sentence id>.<ext>.
    file: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    duration_ms: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(64))
    # The name the speaker chose to be credited with.
    speaker_name: Mapped[str] = mapped_column(String(128), default="")
    # "human" or "tts:<backend>".
    source: Mapped[str] = mapped_column(String(64), default="human")
    # text_sha256 of the approved text the speaker read.
    text_sha256: Mapped[str] = mapped_column(String(64))
    # recorded | approved | rejected
    status: Mapped[str] = mapped_column(String(16), default="recorded")
    reason: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class VoiceSpeaker(Base):
    """A person who lends their voice: the name they are credited with and their consent
    (given once, on their first recording)."""

    __tablename__ = "voice_speakers"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)
    name: Mapped[str] = mapped_column(String(128))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consented_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
