"""Resumable uploads over HTTP: the tus 1.0.0 protocol (core, creation, checksum,
termination) for editors, and the portal's one script file.

Every request but OPTIONS needs a signed-in editor and the session's CSRF token in
``X-CSRF-Token``. Answers: 201 created, 204 chunk stored, 409 wrong offset (ask HEAD and
resume), 413 too large (refused before any byte when ``Upload-Length`` is over the limit),
429 too many uploads in progress, 460 checksum mismatch (the chunk was discarded), 423 the
upload is being written by another request (with Retry-After; one writer per upload).
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response
from starlette.requests import ClientDisconnect

from pipeline.core.errors import CaunoiError
from pipeline.portal.context import editor, portal_of
from pipeline.portal.run_messages import said_to
from pipeline.portal.upload_lock import RETRY_AFTER_S, UploadBusyError, UploadStalledError
from pipeline.portal.uploads import (
    CHECKSUMS,
    ChecksumMismatchError,
    OffsetMismatchError,
    UploadNotFoundError,
    UploadQuotaError,
    UploadTooLargeError,
)
from pipeline.review.web_common import check_csrf, signed_in, ui_of

__all__ = ["TUS_VERSION", "router"]

TUS_VERSION = "1.0.0"
_STATIC = Path(__file__).parent / "static"
_STATUS: dict[type[CaunoiError], int] = {
    UploadTooLargeError: 413, UploadQuotaError: 429, UploadNotFoundError: 404,
    OffsetMismatchError: 409, ChecksumMismatchError: 460, UploadBusyError: 423,
    UploadStalledError: 408}

router = APIRouter()
log = logging.getLogger("caunoi.portal")


def _tus(resp: Response) -> Response:
    resp.headers["Tus-Resumable"] = TUS_VERSION
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _refused(request: Request, error: CaunoiError) -> Response:
    # Only after _user(request): the session is known (an upload over the limit names
    # its setting to administrators only).
    resp = PlainTextResponse(said_to(error, ui_of(request), signed_in(request).admin),
                             status_code=_STATUS.get(type(error), 400))
    if isinstance(error, UploadBusyError):
        resp.headers["Retry-After"] = str(RETRY_AFTER_S)
    return _tus(resp)


def _user(request: Request) -> str:
    sess, _ = editor(request)
    check_csrf(sess, request.headers.get("X-CSRF-Token"))
    return sess.username


def _int_header(request: Request, name: str) -> int | None:
    value = request.headers.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 16 else None


def _metadata(header: str) -> dict[str, str]:
    """tus ``Upload-Metadata``: ``key base64value,key2 base64value2``."""
    found = {}
    for item in header.split(",")[:8]:
        key, _, value = item.strip().partition(" ")
        try:
            found[key] = base64.b64decode(value, validate=True).decode("utf-8")[:200]
        except (ValueError, UnicodeDecodeError):
            continue
    return found


@router.options("/portal/uploads")
def tus_options(request: Request) -> Response:
    portal = portal_of(request)
    resp = Response(status_code=204, headers={
        "Tus-Version": TUS_VERSION, "Tus-Extension": "creation,checksum,termination",
        "Tus-Max-Size": str(portal.opts.max_recording_bytes),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUMS)})
    return _tus(resp)


@router.post("/portal/uploads")
def tus_create(request: Request) -> Response:
    user = _user(request)
    length = _int_header(request, "Upload-Length")
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        return _tus(Response(status_code=412, headers={"Tus-Version": TUS_VERSION}))
    if length is None:
        return _tus(PlainTextResponse("Upload-Length", status_code=400))
    name = _metadata(request.headers.get("Upload-Metadata", "")).get("filename", "recording")
    try:
        up = portal_of(request).uploads.create(user, length, name)
    except CaunoiError as e:
        return _refused(request, e)
    return _tus(Response(status_code=201, headers={"Location": f"/portal/uploads/{up.id}",
                                                   "Upload-Offset": "0"}))


@router.head("/portal/uploads/{upload_id}")
def tus_head(request: Request, upload_id: str) -> Response:
    user = _user(request)
    try:
        up = portal_of(request).uploads.get(upload_id, user)
    except CaunoiError as e:
        return _refused(request, e)
    return _tus(Response(status_code=200, headers={"Upload-Offset": str(up.offset),
                                                   "Upload-Length": str(up.length)}))


@router.patch("/portal/uploads/{upload_id}")
async def tus_patch(request: Request, upload_id: str) -> Response:
    user = _user(request)
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        return _tus(Response(status_code=412, headers={"Tus-Version": TUS_VERSION}))
    if request.headers.get("Content-Type") != "application/offset+octet-stream":
        return _tus(Response(status_code=415))
    offset = _int_header(request, "Upload-Offset")
    if offset is None:
        return _tus(PlainTextResponse("Upload-Offset", status_code=400))
    size = _int_header(request, "Content-Length")
    store = portal_of(request).uploads
    if size is not None and size > store.max_chunk:
        return _refused(request, UploadTooLargeError(
            name="chunk", got=str(size), limit=str(store.max_chunk), setting="chunk"))
    try:
        up = await store.append(upload_id, user, offset, request.stream(),
                                request.headers.get("Upload-Checksum"))
    except CaunoiError as e:
        return _refused(request, e)
    except ClientDisconnect:
        # A phone on a weak network dropped the chunk mid-way: ordinary, not a server
        # error. The chunk was discarded; the client asks the offset (HEAD) and sends it
        # again. Nobody reads this answer.
        log.info("upload %s: the client went away during a chunk (discarded)", upload_id)
        return _tus(Response(status_code=400))
    return _tus(Response(status_code=204, headers={"Upload-Offset": str(up.offset)}))


@router.delete("/portal/uploads/{upload_id}")
def tus_delete(request: Request, upload_id: str) -> Response:
    user = _user(request)
    try:
        portal_of(request).uploads.delete(upload_id, user)
    except CaunoiError as e:
        return _refused(request, e)
    return _tus(Response(status_code=204))


@router.get("/portal/static/portal.js")
def script() -> Response:
    """The portal's only script (resumable upload, progress polling); no framework."""
    resp = FileResponse(_STATIC / "portal.js", media_type="text/javascript")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp
