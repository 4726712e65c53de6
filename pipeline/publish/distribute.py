"""Stage 9 onwards: publish finals to a target (fsspec), a catalog for apps, offline USB
bundles with a plain HTML player, HLS, and verification of any of them."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import logging
import posixpath
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fsspec
import pysubs2

from pipeline.core.errors import LessonConfigError
from pipeline.core.media import run_ffmpeg
from pipeline.core.storage import atomic_path, sha256_bytes, sha256_file

__all__ = [
    "PublishResult",
    "VerifyReport",
    "make_bundle",
    "make_hls",
    "publish",
    "published_entries",
    "verify",
]

log = logging.getLogger("caunoi.publish")

PUBLISHED_KINDS = ("video", "audio", "subtitle", "thumbnail", "playlist")


@dataclass
class PublishResult:
    target: str
    lesson_id: str
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _load_manifest(lesson_out: Path) -> dict[str, Any]:
    path = lesson_out / "manifest.json"
    if not path.is_file():
        raise LessonConfigError(path=str(path), detail="no manifest: run 'caunoi produce' first")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _thumbnail(lesson_out: Path, video: Path, at_s: float) -> Path:
    dst = lesson_out / "thumbnail.jpg"
    if not dst.is_file() or dst.stat().st_mtime < video.stat().st_mtime:
        with atomic_path(dst) as part:
            run_ffmpeg(["-ss", f"{at_s:.2f}", "-i", str(video), "-frames:v", "1", "-vf",
                        "scale=320:-2", "-q:v", "5", "-f", "image2", str(part)],
                       action="making a thumbnail", path=dst)
    return dst


def _sidecar(lesson_out: Path, src: Path, offset_s: float) -> Path:
    """A WebVTT sidecar shifted by the videos' title card, next to the other sidecars."""
    dst = lesson_out / "sidecars" / src.name
    if dst.is_file() and dst.stat().st_mtime >= src.stat().st_mtime:
        return dst  # already shifted (publish --hls and bundles ask again)
    subs = pysubs2.load(str(src), encoding="utf-8")
    subs.shift(ms=int(offset_s * 1000))
    with atomic_path(dst) as part:
        subs.save(str(part), format_="vtt", encoding="utf-8")
    return dst


def published_entries(lesson_out: Path, languages: list[str] | None = None,
                      profiles: list[str] | None = None,
                      offset_s: float = 2.5) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The manifest entries a lesson publishes: final and approved renders and their
    sidecar subtitles (never drafts), plus a thumbnail. Sidecars are shifted by the title
    card so they line up with the videos."""
    manifest = _load_manifest(lesson_out)
    chosen = []
    for f in manifest["files"]:
        if f["review_state"] not in ("final", "approved") or f["kind"] not in PUBLISHED_KINDS:
            continue
        if languages and f["language"] not in languages:
            continue
        if f["kind"] in ("video", "audio") and profiles and f["profile"] not in profiles:
            continue
        if f["kind"] == "subtitle" and not f["path"].endswith(".vtt"):
            continue
        chosen.append(dict(f))
    videos = [f for f in chosen if f["kind"] == "video"]
    for f in chosen:
        if f["kind"] == "subtitle":
            side = _sidecar(lesson_out, lesson_out / f["path"], offset_s)
            f["path"] = str(side.relative_to(lesson_out))
            f["bytes"], f["sha256"] = side.stat().st_size, sha256_file(side)
    if videos:
        thumb = _thumbnail(lesson_out, lesson_out / videos[0]["path"], offset_s + 2.0)
        chosen.append({"path": "thumbnail.jpg", "kind": "thumbnail", "language": None,
                       "profile": None, "codecs": None, "duration": None,
                       "bytes": thumb.stat().st_size, "sha256": sha256_file(thumb),
                       "review_state": None, "approver": None})
    out = {k: v for k, v in manifest.items() if k != "files"}
    out["subtitle_offset"] = offset_s
    return out, chosen


def _is_local(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


def _put(fs: Any, src: Path | bytes, dst: str) -> None:
    """Write one object so that a reader never sees it half-written."""
    data = src if isinstance(src, bytes) else None
    if _is_local(fs):
        parent = posixpath.dirname(dst)
        fs.makedirs(parent, exist_ok=True)
        tmp = f"{parent}/.{posixpath.basename(dst)}.part"
        if data is not None:
            with fs.open(tmp, "wb") as f:
                f.write(data)
        else:
            fs.put_file(str(src), tmp)
        fs.mv(tmp, dst)
        return
    # Object stores replace an object atomically on PUT.
    if data is not None:
        with fs.open(dst, "wb") as f:
            f.write(data)
    else:
        fs.put_file(str(src), dst)


def _hls_entries(lesson_out: Path) -> list[dict[str, Any]]:
    return [{"path": str(p.relative_to(lesson_out)), "kind": "playlist", "language": None,
             "profile": None, "codecs": None, "duration": None, "bytes": p.stat().st_size,
             "sha256": sha256_file(p), "review_state": None, "approver": None}
            for p in sorted((lesson_out / "hls").iterdir())]


def publish(lesson_out: Path, target: str, languages: list[str] | None = None,
            profiles: list[str] | None = None, hls: bool = False,
            storage_options: dict[str, Any] | None = None) -> PublishResult:
    """Copy a lesson's finals to ``target`` (a folder or an fsspec URL such as
    ``s3://bucket/prefix``): files first, then its manifest, then the catalog."""
    head, entries = published_entries(lesson_out, languages, profiles)
    if hls:
        make_hls(lesson_out)
        entries += _hls_entries(lesson_out)
    fs, root = fsspec.core.url_to_fs(target, **(storage_options or {}))
    lesson_id = head["lesson_id"]
    base = posixpath.join(root, lesson_id)
    result = PublishResult(target=target, lesson_id=lesson_id)
    for f in entries:
        dst = posixpath.join(base, f["path"])
        try:
            info = fs.info(dst)
            same_size = int(info.get("size", -1)) == f["bytes"]
        except FileNotFoundError:
            same_size = False
        if same_size and _remote_sha(fs, dst) == f["sha256"]:
            result.skipped.append(f["path"])
            continue
        _put(fs, lesson_out / f["path"], dst)
        result.files.append(f["path"])
    manifest = {**head, "files": entries}
    _put(fs, _json_bytes(manifest), posixpath.join(base, "manifest.json"))
    update_catalog(fs, root)
    return result


def _remote_sha(fs: Any, path: str) -> str:
    h = hashlib.sha256()
    with fs.open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def update_catalog(fs: Any, root: str) -> dict[str, Any]:
    """Rewrite ``catalog.json``: one line per lesson with the sha256 of its manifest, so an
    app on 2G fetches the catalog, then only the manifests (and files) whose hash changed."""
    lessons = []
    for path in sorted(fs.glob(posixpath.join(root, "*", "manifest.json"))):
        raw = fs.cat_file(path)
        m = json.loads(raw)
        lessons.append({"id": m["lesson_id"], "title": m["title"],
                        "languages": sorted({f["language"] for f in m["files"]
                                             if f.get("language")}),
                        "manifest": f"{m['lesson_id']}/manifest.json",
                        "manifest_sha256": sha256_bytes(raw),
                        "bytes": sum(f["bytes"] for f in m["files"])})
    body = {"schema_version": "1.0", "lessons": lessons}
    catalog = {**body, "etag": sha256_bytes(_json_bytes(body))[:32],
               "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
    _put(fs, _json_bytes(catalog), posixpath.join(root, "catalog.json"))
    return catalog


# --- offline bundles -----------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cầu Nối — bài học</title>
<style>
body{{font:16px/1.45 "Noto Sans",sans-serif;margin:0;background:#f6f6f3;color:#1b1b1b}}
header{{background:#00785a;color:#fff;padding:.6rem .8rem}}
main{{padding:.6rem;max-width:46rem;margin:auto}}
nav a{{margin-right:.8rem}}
section{{margin:1rem 0}}
article{{background:#fff;border:1px solid #ccc;border-radius:8px;padding:.6rem;margin:.6rem 0}}
video{{width:100%;height:auto;background:#000}}
.meta{{color:#555;font-size:.9rem}}
</style>
</head>
<body>
<header><strong>Cầu Nối</strong> — bài học không cần mạng (offline lessons)</header>
<main>
<nav>{nav}</nav>
{sections}
</main>
</body>
</html>
"""


def make_bundle(lesson_outs: list[Path], languages: list[str], profile: str, dst: Path,
                language_names: dict[str, str]) -> tuple[Path, Path, list[str]]:
    """A folder and a zip for USB sticks and kiosks: videos, sidecar subtitles, thumbnails
    and an ``index.html`` that plays them with the browser's own <video> and <track>.

    Returns (folder, zip, notes about what was left out).
    """
    if dst.exists():
        shutil.rmtree(dst)
    staging = dst.with_name(f".{dst.name}.part")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    notes: list[str] = []
    by_lang: dict[str, list[str]] = {}
    for lesson_out in lesson_outs:
        head, entries = published_entries(lesson_out, None, [profile])
        lid = head["lesson_id"]
        keep = [f for f in entries if f["language"] in (*languages, None)
                or (f["kind"] == "subtitle" and f["language"] in languages)]
        videos = {f["language"]: f for f in keep if f["kind"] == "video"}
        for lang in languages:
            if lang not in videos:
                notes.append(f"{lid}: {lang} chưa được duyệt / not approved yet")
        if not videos:
            continue
        for f in keep:
            target = staging / lid / f["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lesson_out / f["path"], target)
        (staging / lid / "manifest.json").write_bytes(_json_bytes({**head, "files": keep}))
        subs = {f["language"]: f for f in keep if f["kind"] == "subtitle"}
        for lang, video in videos.items():
            title = head["title"].get(lang) or head["title"]["vi"]
            track = ""
            if lang in subs and lang != "vi":
                track = (f'<track kind="subtitles" src="{lid}/{subs[lang]["path"]}" '
                         f'srclang="{lang}" label="{html.escape(language_names.get(lang, lang))}">')
            by_lang.setdefault(lang, []).append(
                f'<article><h3>{html.escape(title)}</h3>'
                f'<video controls preload="metadata" poster="{lid}/thumbnail.jpg">'
                f'<source src="{lid}/{video["path"]}" type="video/mp4">{track}</video>'
                f'<p class="meta">{video["duration"]:.0f} s · '
                f'{video["bytes"] / 1024 / 1024:.1f} MB · {html.escape(lid)}</p></article>')
    order = [c for c in languages if c in by_lang] + sorted(set(by_lang) - set(languages))
    nav = " ".join(f'<a href="#{c}">{html.escape(language_names.get(c, c))}</a>' for c in order)
    sections = "\n".join(
        f'<section id="{c}"><h2>{html.escape(language_names.get(c, c))}</h2>'
        + "".join(by_lang[c]) + "</section>" for c in order)
    (staging / "index.html").write_text(_PAGE.format(nav=nav, sections=sections),
                                        encoding="utf-8")
    staging.rename(dst)
    zip_path = dst.with_suffix(".zip")
    with atomic_path(zip_path) as part, zipfile.ZipFile(part, "w") as z:
        for p in sorted(dst.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(dst.parent))
    return dst, zip_path, notes


# --- HLS -----------------------------------------------------------------------------------

def make_hls(lesson_out: Path, rungs: tuple[str, ...] = ("tiny", "compat"),
             segment_s: int = 6) -> Path:
    """A master playlist over the finals of ``rungs`` (a bitrate ladder, one per language)
    with WebVTT subtitle renditions for every published language."""
    _, entries = published_entries(lesson_out, None, list(rungs))
    hls = lesson_out / "hls"
    if hls.exists():
        shutil.rmtree(hls)
    hls.mkdir()
    vi_videos = [f for f in entries if f["kind"] == "video" and f["language"] == "vi"]
    if not vi_videos:
        raise LessonConfigError(path=str(lesson_out),
                                detail=f"no Vietnamese {'/'.join(rungs)} render to build HLS from")
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for f in [f for f in entries if f["kind"] == "subtitle"]:
        lang = f["language"]
        vtt = lesson_out / f["path"]
        shutil.copyfile(vtt, hls / f"subs-{lang}.vtt")
        duration = max(1, int(vi_videos[0]["duration"] + 1))
        (hls / f"subs-{lang}.m3u8").write_text(
            "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            f"#EXT-X-TARGETDURATION:{duration}\n#EXTINF:{duration}.0,\nsubs-{lang}.vtt\n"
            "#EXT-X-ENDLIST\n", encoding="utf-8")
        lines.append(f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="{lang}",'
                     f'NAME="{lang}",DEFAULT={"YES" if lang == "vi" else "NO"},'
                     f'AUTOSELECT=YES,URI="subs-{lang}.m3u8"')
    has_subs = any(f["kind"] == "subtitle" for f in entries)
    for f in sorted(vi_videos, key=lambda f: f["bytes"]):
        name = f["profile"]
        run_ffmpeg(["-i", str(lesson_out / f["path"]), "-c", "copy", "-f", "hls",
                    "-hls_time", str(segment_s), "-hls_playlist_type", "vod",
                    "-hls_segment_type", "mpegts",
                    "-hls_segment_filename", str(hls / f"{name}-%03d.ts"),
                    str(hls / f"{name}.m3u8")], action=f"segmenting {name} for HLS",
                   path=hls)
        bandwidth = int(f["bytes"] * 8 / max(1.0, f["duration"]) * 1.2)
        lines.append(f'#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION=854x480,'
                     f'CODECS="{f["codecs"]}"' + (',SUBTITLES="subs"' if has_subs else ""))
        lines.append(f"{name}.m3u8")
    master = hls / "master.m3u8"
    master.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return master


# --- verification ----------------------------------------------------------------------------

@dataclass
class VerifyReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt)


def verify(target: str, storage_options: dict[str, Any] | None = None) -> VerifyReport:
    """Recompute the checksums of every file every manifest under ``target`` lists (a
    bundle folder, a publish target, or one lesson folder) and report what is wrong."""
    fs, root = fsspec.core.url_to_fs(target, **(storage_options or {}))
    manifests = sorted(fs.glob(posixpath.join(root, "manifest.json"))
                       + fs.glob(posixpath.join(root, "*", "manifest.json")))
    if not manifests:
        raise LessonConfigError(path=target, detail="no manifest.json found to verify against")
    report = VerifyReport()
    for mpath in manifests:
        base = posixpath.dirname(mpath)
        listed = set()
        for f in json.loads(fs.cat_file(mpath))["files"]:
            path = posixpath.join(base, f["path"])
            listed.add(path)
            report.checked += 1
            if not fs.exists(path):
                report.missing.append(path)
            elif _remote_sha(fs, path) != f["sha256"]:
                report.corrupt.append(path)
        for path in fs.find(base):
            name = posixpath.basename(path)
            # Files of nested lessons are checked against their own manifest.
            nested = any(path.startswith(posixpath.dirname(m) + "/") and m != mpath
                         for m in manifests)
            if path not in listed and name != "manifest.json" and not name.startswith(".") \
                    and not nested:
                report.extra.append(path)
    return report
