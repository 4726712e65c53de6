"""Offline bundles for USB sticks and commune kiosks: a folder and a zip with the videos,
posters, MP3s and a plain ``index.html`` (see :mod:`pipeline.publish.page`).

Everything is checked before anything is written: every lesson's manifest, every
requested language's approved final, and the target (see :func:`paths.guard_target`);
the bundle is then built as a new sibling of the target and swapped in.
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.storage import atomic_path
from pipeline.publish.entries import Selection, published_entries
from pipeline.publish.errors import MissingFinalError, TargetRefusedError
from pipeline.publish.integrity import write_checksums
from pipeline.publish.manifest import Manifest, ManifestFile, load_manifest
from pipeline.publish.options import PublishOptions
from pipeline.publish.page import PageItem, render_page
from pipeline.publish.paths import (
    MARKER,
    check_lesson_id,
    guard_target,
    staged_folder,
    write_marker,
)
from pipeline.render.profiles import PROFILES, get_profile

__all__ = ["BundleResult", "make_bundle"]

log = logging.getLogger("caunoi.publish")


@dataclass(frozen=True)
class BundleResult:
    folder: Path
    zip: Path
    # Bytes of the folder's files and of the zip.
    folder_bytes: int
    zip_bytes: int
    lessons: list[str] = field(default_factory=list)


def _has_final(m: Manifest, lang: str, profile: str) -> bool:
    return any(f.kind == "video" and f.language == lang and f.profile == profile
               and f.published for f in m.files)


def _check_finals(manifests: list[Manifest], languages: list[str], profile: str) -> None:
    missing = [f"{m.lesson_id}: {lang}" for m in manifests for lang in languages
               if not _has_final(m, lang, profile)]
    if missing:
        raise MissingFinalError(profile=profile, missing=", ".join(missing))


def _guard_zip(zip_path: Path, folder_name: str, force: bool) -> None:
    """Replace only a zip of ours (``force`` needed), never another: our marker at its
    root, or in its one folder (the layout of zips made before issue 31)."""
    if not zip_path.exists() and not zip_path.is_symlink():
        return
    try:
        with zipfile.ZipFile(zip_path) as z:
            names = set(z.namelist())
            ours = MARKER in names or f"{folder_name}/{MARKER}" in names
    except (OSError, zipfile.BadZipFile):
        ours = False
    if zip_path.is_symlink() or not ours:
        raise TargetRefusedError(path=str(zip_path), reason="foreign_zip")
    if not force:
        raise TargetRefusedError(path=str(zip_path), reason="exists")


def _bundled_files(sel: Selection, languages: list[str], profile: str,
                   source: str) -> list[ManifestFile]:
    """The chosen video and its poster per language, and the MP3 of the audio-only version
    (once per sound: languages without a dub share the source language's narration; a
    dubbed language has its own)."""
    audio_profiles = {p.name for p in PROFILES.values() if not p.has_video}
    keep, sounds = [], set()
    for f in sorted(sel.manifest.files, key=lambda f: f.language != source):
        if f.language not in languages:
            continue
        picture = f.kind in ("video", "thumbnail") and f.profile == profile
        mp3 = f.kind == "audio" and f.profile in audio_profiles and f.path.endswith(".mp3")
        if picture or (mp3 and f.sha256 not in sounds):
            keep.append(f)
            sounds.update([f.sha256] if mp3 else [])
    return keep


def _items(sel: Selection, files: list[ManifestFile], languages: list[str],
           source: str) -> list[PageItem]:
    lid, items = sel.manifest.lesson_id, []
    for lang in languages:
        video = next(f for f in files if f.kind == "video" and f.language == lang)
        poster = next((f for f in files if f.kind == "thumbnail" and f.language == lang), None)
        own = next((f for f in sel.manifest.files if f.kind == "audio" and f.language == lang
                    and f.path.endswith(".mp3")), None)
        mp3 = next((f for f in files if own and f.kind == "audio" and f.sha256 == own.sha256),
                   None)
        title, native = sel.manifest.title_in(lang, source)
        items.append(PageItem(
            language=lang, title=title, title_native=native or lang == source,
            video=f"{lid}/{video.path}", poster=f"{lid}/{poster.path}" if poster else "",
            duration_s=video.duration or 0.0,
            video_bytes=video.bytes, mp3=f"{lid}/{mp3.path}" if mp3 else "",
            mp3_bytes=mp3.bytes if mp3 else 0, audio_lang=video.audio_lang or source))
    return items


def _write_zip(folder: Path, zip_path: Path) -> None:
    """The folder's files at the zip's root: "Extract all" (Windows, Android file managers)
    already makes a folder named after the zip, so a folder inside it would be nested twice."""
    with atomic_path(zip_path) as part, zipfile.ZipFile(part, "w") as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                # Video and JPEG are compressed already: store them, deflate the rest.
                kind = zipfile.ZIP_STORED if p.suffix in (".mp4", ".jpg", ".mp3", ".opus") \
                    else zipfile.ZIP_DEFLATED
                z.write(p, p.relative_to(folder).as_posix(), compress_type=kind)


def make_bundle(lesson_outs: list[Path], languages: list[str], profile: str, dst: Path,
                opts: PublishOptions) -> BundleResult:
    """A folder ``dst`` and a zip next to it (``<dst>.zip``) for USB sticks and kiosks.

    Raises:
        MissingFinalError: a requested language has no approved final in ``profile``.
        TargetRefusedError: ``dst`` (or its zip) must not be replaced.
        UnsafePathError, ManifestInvalidError: a lesson's manifest is not to be trusted.
    """
    get_profile(profile)
    for code in languages:
        opts.registry.get(code, where="--languages")
    manifests = [load_manifest(out) for out in lesson_outs]
    for m, out in zip(manifests, lesson_outs, strict=True):
        check_lesson_id(m.lesson_id, str(out / "manifest.json"))
    _check_finals(manifests, languages, profile)
    guard_target(dst, opts.protected, force=opts.force)
    zip_path = dst.parent / f"{dst.name}.zip"
    _guard_zip(zip_path, dst.name, opts.force)
    source = opts.registry.source.code
    audio = [p.name for p in PROFILES.values() if not p.has_video]
    selections = [published_entries(out, opts.title_card_s, languages, [profile, *audio])
                  for out in lesson_outs]
    items: list[PageItem] = []
    with staged_folder(dst, "bundle") as staging:
        for sel in selections:
            lid = sel.manifest.lesson_id
            files = _bundled_files(sel, languages, profile, source)
            for f in files:
                target = staging / lid / f.path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(sel.path(f), target)
            (staging / lid / "manifest.json").write_bytes(
                sel.manifest.with_files(files).to_bytes())
            items += _items(sel, files, languages, source)
        page = render_page(items, languages, opts.registry, opts.ui_lang, opts.interface)
        (staging / "index.html").write_text(page, encoding="utf-8")
        write_checksums(staging)
        write_marker(staging, "bundle", [p.relative_to(staging).as_posix()
                                         for p in staging.rglob("*") if p.is_file()])
        _write_zip(staging, zip_path)
    size = sum(p.stat().st_size for p in dst.rglob("*") if p.is_file())
    return BundleResult(folder=dst, zip=zip_path, folder_bytes=size,
                        zip_bytes=zip_path.stat().st_size,
                        lessons=[m.lesson_id for m in manifests])
