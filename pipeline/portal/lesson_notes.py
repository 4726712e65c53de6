"""What the lesson page says beyond run states: which languages get no draft translation
(no model installed) or have nobody to review them, previews labelled apart (old
drafts dropped beside their finals), and which finals are offered at all (the manifest's
validity: ``pipeline.publish.finals``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import t
from pipeline.core.languages import Registry
from pipeline.portal.choices import profile_label
from pipeline.publish.finals import standing_finals
from pipeline.review.accounts import UserInfo
from pipeline.translate.mt import MTOptions, mt_model_path

__all__ = ["better_aligner", "no_mt", "offered", "preview_rows", "reviewed_languages"]

#: Where the align step says which aligner made the kept alignment and which better one
#: can now run (``pipeline.steps.speech.align_step``: ``state_file(out, "align")``).
ALIGN_NOTE = Path(".state") / "align.meta.json"


def better_aligner(out: Path) -> dict[str, str] | None:
    """{"used", "better"} when the lesson's alignment was kept although a better aligner
    can now run (a model was installed after it was made); None otherwise."""
    try:
        data = json.loads((out / ALIGN_NOTE).read_text(encoding="utf-8"))
        used, better = str(data["aligner"]), str(data.get("better") or "")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {"used": used, "better": better} if better else None


def no_mt(registry: Registry, mt: MTOptions | None, languages: Iterable[str]) -> list[str]:
    """The languages of ``languages`` no installed model translates (drafts stay empty:
    translators translate by hand)."""
    if mt is None:
        return []
    missing = []
    for code in languages:
        lang = registry.languages.get(code)
        if lang is None or code == registry.source.code:
            continue
        if not lang.has_mt:
            missing.append(code)
            continue
        try:
            mt_model_path(mt, lang.mt)
        except CaunoiError:
            missing.append(code)
    return missing


def reviewed_languages(users: Iterable[UserInfo]) -> set[str]:
    """The languages some active user may review."""
    return {lang for u in users if not u.disabled
            for lang, role in u.roles.items() if role == "reviewer"}


def preview_rows(files: list[dict[str, Any]], ui: str,
                 name_of: Callable[[str], str]) -> list[dict[str, Any]]:
    """The previews with a label each tells apart ("Tiếng H'Mông · video · mọi điện
    thoại"); a draft is dropped once its final of the same language and profile exists."""
    finals = {(f["lang"], f["profile"], f["kind"]) for f in files if not f["draft"]}
    rows = []
    for f in files:
        if f["draft"] and (f["lang"], f["profile"], f["kind"]) in finals:
            continue
        words = profile_label(f["profile"], ui).split(" · ")[0]
        kind = t("portal.kind_video" if f["kind"] == "video" else "portal.kind_audio", ui)
        label = f"{name_of(f['lang'])} · {kind} · {words}"
        if f["kind"] == "audio":  # the Opus file and its MP3 companion
            label += f" · {f['name'].rsplit('.', 1)[-1].upper()}"
        if f["draft"]:
            label += f" · {t('portal.draft', ui)}"
        rows.append(f | {"label": label})
    return rows


def offered(out: Path, files: list[dict[str, Any]], source: str,
            approval: Callable[[str], str]) -> list[dict[str, Any]]:
    """``files`` (``lessons.previews``) without the target languages' finals a manifest
    would not list now (:func:`pipeline.publish.finals.standing_finals`): one made under an
    earlier approval (edited and approved again, not rendered since) or changed on disk is
    neither shown as ready nor offered to publish. ``approval``: a language's approval
    basis now ("" when not approved)."""
    targets = {f["lang"] for f in files if not f["draft"] and f["lang"] != source}
    if not targets:
        return files
    standing = {e.path.relative_to(out).as_posix()
                for e in standing_finals(out, {c: approval(c) for c in targets}).entries}
    return [f for f in files if f["draft"] or f["lang"] == source
            or f"{f['kind']}/{f['name']}" in standing]
