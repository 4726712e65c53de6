"""The bundle's ``index.html``: a language picker first (names in their own language and
script), then per language its lessons: title in that language when one exists, a poster
with that language's subtitles, a link to the video (subtitles burned in: no external tracks,
which fail from ``file://``), duration, size, and an MP3 link when there is one. No script, no
network, large touch targets, every word through :mod:`pipeline.core.i18n`."""

from __future__ import annotations

import html
from dataclasses import dataclass

from pipeline.core.i18n import pick, t
from pipeline.core.languages import Registry

__all__ = ["PageItem", "render_page"]

_STYLE = """
*{box-sizing:border-box}
body{font:18px/1.45 "Noto Sans",sans-serif;margin:0;background:#f6f6f3;color:#1b1b1b}
header{background:#00684e;color:#fff;padding:12px 16px}
header h1{margin:0;font-size:1.4rem}header p{margin:4px 0 0}
h2{font-size:1.2rem;margin:16px 0 8px}
main,nav{padding:0 12px;max-width:46rem;margin:auto}
ul.langs{list-style:none;margin:0;padding:0;display:grid;
grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
a.big{display:flex;align-items:center;justify-content:center;min-height:56px;padding:8px 12px;
background:#fff;border:2px solid #00684e;border-radius:10px;color:#00513c;font-weight:600;
text-decoration:none;text-align:center}
a.big:active,a.big:focus{background:#dff1ea}
section{margin:24px 0;border-top:3px solid #00684e}
article{background:#fff;border:1px solid #ccc;border-radius:10px;padding:12px;margin:12px 0}
h3{margin:0 0 8px;font-size:1.1rem}small{font-weight:400;color:#555}
a.poster{position:relative;display:block;border-radius:6px;overflow:hidden;background:#000}
a.poster img{display:block;width:100%;height:auto}
.play{position:absolute;left:50%;top:40%;transform:translate(-50%,-50%);min-height:56px;
display:flex;align-items:center;padding:0 20px;border-radius:28px;background:rgba(0,104,78,.92);
color:#fff;font-weight:700;font-size:1.1rem;white-space:nowrap}
.meta{color:#444;margin:8px 0}
.actions{display:flex;flex-wrap:wrap;gap:8px}
.actions a.big{flex:1 1 140px}
p.help{margin:12px 0}
"""


@dataclass(frozen=True)
class PageItem:
    """One lesson in one language, paths relative to the page."""

    language: str
    title: str
    # True: the title is in ``language``; False: the source language's title.
    title_native: bool
    video: str
    poster: str
    duration_s: float
    video_bytes: int
    mp3: str = ""
    mp3_bytes: int = 0
    # Language of the sound (video and MP3): the source's, or a dubbed language's.
    audio_lang: str = ""


def _number(value: float, lang: str) -> str:
    units, _, tenths = f"{value:.1f}".partition(".")
    return t("bundle.decimal", lang, units=units, tenths=tenths) if tenths else units


def _duration(seconds: float, lang: str) -> str:
    m, s = divmod(round(seconds), 60)
    return t("bundle.minutes", lang, m=m, s=s) if m else t("bundle.seconds", lang, s=s)


def _mb(n: int, lang: str) -> str:
    return _number(n / 1_000_000, lang)


def _sound(item: PageItem, registry: Registry, ui: str) -> str:
    """The sound's language under the poster: "🎧 Hmoob" for a dub (named in its own
    language); for another language's lesson with the Vietnamese narration, a plain
    sentence that the voice is Vietnamese."""
    e, source = html.escape, registry.source
    audio = item.audio_lang or source.code
    if audio != source.code or item.language == source.code:
        name = registry.get(audio).name_native
        return (f'<p class="sound" lang="{e(audio)}">'
                f'{e(t("bundle.sound", ui, language=name))}</p>')
    lang = registry.get(item.language)
    label = t("bundle.sound", ui, language=source.name_native)
    missing = t("bundle.sound_source", ui, language=pick(lang.name_vi, lang.name_en, ui))
    return f'<p class="sound" lang="{e(ui)}">{e(label)} — {e(missing)}</p>'



def _article(item: PageItem, registry: Registry, ui: str) -> str:
    e = html.escape
    source = registry.source
    if item.title_native:
        heading = f'<h3 lang="{e(item.language)}">{e(item.title)}</h3>'
    else:
        # Mid-sentence in Vietnamese: "tên bài bằng tiếng Việt".
        language = pick(source.name_vi[:1].lower() + source.name_vi[1:], source.name_en, ui)
        heading = (f'<h3 lang="{e(source.code)}">{e(item.title)} <small lang="{e(ui)}">'
                   f'{e(t("bundle.title_in_source", ui, language=language))}</small></h3>')
    actions = [f'<a class="big" href="{e(item.video)}" download>{e(t("bundle.download", ui))}'
               "</a>"]
    if item.mp3:
        actions.append(f'<a class="big" href="{e(item.mp3)}" type="audio/mpeg">'
                       f'{e(t("bundle.listen", ui, mb=_mb(item.mp3_bytes, ui)))}</a>')
    size = t("bundle.megabytes", ui, mb=_mb(item.video_bytes, ui))
    sound = _sound(item, registry, ui)
    # The poster is a link to the video: the browser's own player opens it (from file:// too)
    # and the poster's burned subtitles stay visible, which a <video>'s controls would cover.
    return (f"<article>{heading}"
            f'<a class="poster" href="{e(item.video)}" type="video/mp4">'
            f'<img src="{e(item.poster)}" alt="{e(item.title)}" width="360">'
            f'<span class="play" lang="{e(ui)}">▶ {e(t("bundle.watch", ui))}</span></a>'
            f'<p class="meta" lang="{e(ui)}">{e(_duration(item.duration_s, ui))} · {e(size)}</p>'
            f"{sound}"
            f'<p class="actions" lang="{e(ui)}">{"".join(actions)}</p></article>')


def render_page(items: list[PageItem], order: list[str], registry: Registry,
                ui: str) -> str:
    """The whole page; ``order`` is the picker's order of languages."""
    e = html.escape
    langs = [c for c in order if any(i.language == c for i in items)]
    picker = "".join(
        f'<li><a class="big" href="#lang-{e(c)}" lang="{e(c)}">'
        f"{e(registry.get(c).name_native)}</a></li>" for c in langs)
    sections = []
    for c in langs:
        body = "".join(_article(i, registry, ui) for i in items if i.language == c)
        sections.append(
            f'<section id="lang-{e(c)}"><h2 lang="{e(c)}">{e(registry.get(c).name_native)}</h2>'
            f'{body}<p><a class="big" href="#top">{e(t("bundle.top", ui))}</a></p></section>')
    return (f'<!doctype html>\n<html lang="{e(ui)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(t('bundle.page_title', ui))}</title>\n<style>{_STYLE}</style>\n"
            f'</head>\n<body id="top">\n<header><h1>Cầu Nối</h1>'
            f"<p>{e(t('bundle.tagline', ui))}</p></header>\n"
            f"<nav><h2>{e(t('bundle.choose', ui))}</h2><ul class=\"langs\">{picker}</ul>"
            f"<p class=\"help\">{e(t('bundle.help', ui))}</p></nav>\n"
            f"<main>\n{''.join(sections)}\n</main>\n</body>\n</html>\n")
