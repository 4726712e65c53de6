"""A recording handed in from the portal, checked as ``caunoi check`` checks it before it
becomes the lesson's: a wrong, silent or truncated file is refused at once (naming the
editor's file), and a finished resumable upload is kept for the next try when the
refusal was about something else."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from starlette.datastructures import FormData, UploadFile

from pipeline.core.errors import CaunoiError
from pipeline.portal.context import Portal
from pipeline.portal.lessons import (
    RECORDING_TYPES,
    CheckResult,
    RecordingUnreadableError,
    check_lesson,
    check_recording,
    remember_name,
)
from pipeline.portal.uploads import UploadTooLargeError, human_mb

__all__ = ["Received", "RecordingRefused", "commit", "discard", "receive", "trial"]


class RecordingRefused(CaunoiError):
    """The file in the recording slot is not a recording type the portal takes."""

    key = "errors.portal_recording_type"
    exit_code = 2


@dataclass(frozen=True)
class Received:
    """A recording received but not yet the lesson's."""

    # The bytes: the upload's part file, or a copy of the form's file beside the lessons.
    source: Path
    ext: str
    # The file's name on the editor's computer.
    name: str
    # The finished resumable upload it came from ("" for a plain form file).
    upload_id: str = ""


def _file(form: FormData) -> UploadFile | None:
    value = form.get("recording")
    return value if isinstance(value, UploadFile) and value.filename else None


def receive(portal: Portal, user: str, form: FormData) -> Received | None:
    """The form's recording (a finished upload, or the form's own file); None when the
    form has none.

    Raises:
        RecordingRefused: not a recording type (a finished upload of it is deleted).
        RecordingUnreadableError: not readable media; UploadTooLargeError.
    """
    upload_id, upload = str(form.get("upload_id") or ""), _file(form)
    if not upload_id and upload is None:
        return None
    if upload_id:
        name = portal.uploads.get(upload_id, user).filename
    else:
        assert upload is not None
        name = Path(upload.filename or "").name
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in RECORDING_TYPES:
        if upload_id:  # never offered again: it would be refused again
            portal.uploads.delete(upload_id, user)
        raise RecordingRefused(name=name, types=", ".join(RECORDING_TYPES))
    if upload_id:
        return Received(portal.uploads.part_path(upload_id, user), ext, name, upload_id)
    assert upload is not None
    dst = portal.opts.lessons_dir / f".rec-{secrets.token_hex(8)}.{ext}"
    portal.opts.lessons_dir.mkdir(parents=True, exist_ok=True)
    with open(dst, "wb") as out:
        upload.file.seek(0)
        shutil.copyfileobj(upload.file, out, 1 << 20)
        size = out.tell()
    if size > portal.opts.max_recording_bytes:
        dst.unlink()
        raise UploadTooLargeError(name=name, got=human_mb(size),
                                  limit=human_mb(portal.opts.max_recording_bytes),
                                  setting="max_recording_mb")
    return Received(dst, ext, name)


def trial(portal: Portal, folder: Path, rec: Received) -> CheckResult:
    """``caunoi check`` of ``folder`` as it would be with ``rec`` as its recording (in a
    scratch folder of links: nothing of ``folder`` changes)."""
    try:
        check_recording(rec.source, rec.name)
    except RecordingUnreadableError as e:
        return CheckResult(False, e, fix="recording")
    scratch = folder.parent / f".check-{secrets.token_hex(6)}"
    scratch.mkdir()
    try:
        for path in folder.iterdir():
            if path.is_file() and not path.name.startswith("recording."):
                os.symlink(path.resolve(), scratch / path.name)
        os.symlink(rec.source.resolve(), scratch / f"recording.{rec.ext}")
        remember_name(scratch, "recording", rec.name)
        checked = check_lesson(scratch, portal.opts.ingest, portal.opts.glossary_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if checked.error is None:
        return checked
    return replace(checked, error=_named(checked.error, rec))


def _named(error: CaunoiError, rec: Received) -> CaunoiError:
    """``error`` naming the received bytes (an upload's part file, a copy) as the editor
    named the file: ffmpeg reports the linked file's own path."""
    paths = (str(rec.source.resolve()), str(rec.source))
    context = {}
    for key, value in error.context.items():
        for path in paths if isinstance(value, str) else ():
            value = value.replace(path, rec.name)
        context[key] = value
    try:
        return type(error)(**context)
    except TypeError:
        return error


def commit(portal: Portal, user: str, folder: Path, rec: Received) -> None:
    """Make ``rec`` the recording of ``folder`` (the one recording.* file there)."""
    dst = folder / f"recording.{rec.ext}"
    if rec.upload_id:
        portal.uploads.finish(rec.upload_id, user, dst)
    else:
        os.replace(rec.source, dst)
        os.utime(dst)
    for old in folder.glob("recording.*"):
        if old != dst:
            old.unlink()
    remember_name(folder, "recording", rec.name)


def discard(portal: Portal, user: str, rec: Received, keep_upload: bool) -> None:
    """Forget a refused recording (a finished upload is kept when ``keep_upload``)."""
    if not rec.upload_id:
        rec.source.unlink(missing_ok=True)
    elif not keep_upload:
        portal.uploads.delete(rec.upload_id, user)
