"""The bundle's ``index.html``: a language picker first (names in their own language and
script), then one section per language, shown alone once chosen: its lessons with the title
in that language when one exists, a poster with that language's subtitles, a link to the
video (subtitles burned in: no external tracks, which fail from ``file://``), duration, size,
and an MP3 link when there is one. A section speaks its own language's approved words
(:mod:`pipeline.publish.interface`); where it has none, icons carry the meaning.

No script, no network, large touch targets. Choosing a language needs no JavaScript: each
picker link targets an empty anchor at the very top of the page (so the picker stays in
view), and CSS shows the section of the targeted anchor (``:target`` and ``~``, CSS 3);
with no fragment the first language's section shows."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.core.i18n import t
from pipeline.core.languages import Registry
from pipeline.publish.interface import ICONS, SectionWords

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
a.t{display:block;height:0}
section{display:none;margin:16px 0;border-top:3px solid #00684e}
section.d{display:block}
a.t:target~main section.d{display:none}
nav a.d{background:#00684e;color:#fff}
a.t:target~nav a.d{background:#fff;color:#00513c}
header .g{display:none}header .g.d{display:inline}a.t:target~header .g.d{display:none}
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
    """One decimal in ``lang``'s way (languages without a catalogue write the country's,
    Vietnamese, decimal comma)."""
    units, _, tenths = f"{value:.1f}".partition(".")
    return t("bundle.decimal", lang, units=units, tenths=tenths) if tenths else units


def _duration(seconds: float, words: SectionWords) -> str:
    """"⏱ 1 phút 23 giây" in a catalogued language, else "⏱ 1:23" (digits need no words)."""
    m, s = divmod(round(seconds), 60)
    if not words.catalogued:
        return f"⏱ {m}:{s:02d}"
    lang = words.lang
    return "⏱ " + (t("bundle.minutes", lang, m=m, s=s) if m else t("bundle.seconds", lang, s=s))


def _mb(n: int, lang: str) -> str:
    return t("bundle.megabytes", lang, mb=_number(n / 1_000_000, lang))


def _sized(words: SectionWords, key: str, size: str) -> str:
    """"⬇ Lưu video · 2,3 MB", or "⬇ 2,3 MB" when the language has no word for it."""
    return f"{words.label(key)} · {size}" if words.word(key) else f"{words.label(key)} {size}"


def _lang_attr(words: SectionWords, key: str) -> str:
    """``lang`` of a label: the section's language when it has a word, else none (icons)."""
    return f' lang="{html.escape(words.lang)}"' if words.word(key) else ""


def _sound(item: PageItem, registry: Registry, words: SectionWords) -> str:
    """The sound's language under the poster: "🎧 Hmoob" for a dub (named in its own
    language); for another language's lesson with the Vietnamese narration, "🎧 Tiếng Việt"
    and, in the section's words when it has them, that no voice in its language exists."""
    e, source = html.escape, registry.source
    audio = item.audio_lang or source.code
    name = registry.get(audio).name_native
    line = f'<span lang="{e(audio)}">{e(t("bundle.sound", audio, language=name))}</span>'
    missing = words.word("sound_source") if audio == source.code != item.language else ""
    if missing:
        line += f' — <span lang="{e(words.lang)}">{e(missing)}</span>'
    return f'<p class="sound">{line}</p>'


def _heading(item: PageItem, registry: Registry, words: SectionWords) -> str:
    e, source = html.escape, registry.source
    if item.title_native:
        return f'<h3 lang="{e(item.language)}">{e(item.title)}</h3>'
    # No title in the language yet: the source's, marked in the section's words, else with
    # the source language's own name (as the picker names languages).
    marker = words.word("title_in_source")
    small = (f'<small lang="{e(words.lang)}">{e(marker)}</small>' if marker
             else f'<small lang="{e(source.code)}">({e(source.name_native)})</small>')
    return f'<h3 lang="{e(source.code)}">{e(item.title)} {small}</h3>'


def _article(item: PageItem, registry: Registry, words: SectionWords) -> str:
    e, lang = html.escape, words.lang
    actions = [f'<a class="big" href="{e(item.video)}" download{_lang_attr(words, "download")}>'
               f'{e(_sized(words, "download", _mb(item.video_bytes, lang)))}</a>']
    if item.mp3:
        actions.append(f'<a class="big" href="{e(item.mp3)}" type="audio/mpeg"'
                       f'{_lang_attr(words, "listen")}>'
                       f'{e(_sized(words, "listen", "MP3 " + _mb(item.mp3_bytes, lang)))}</a>')
    # The poster is a link to the video: the browser's own player opens it (from file:// too)
    # and the poster's burned subtitles stay visible, which a <video>'s controls would cover.
    alt_lang = item.language if item.title_native else registry.source.code
    return (f"<article>{_heading(item, registry, words)}"
            f'<a class="poster" href="{e(item.video)}" type="video/mp4">'
            f'<img src="{e(item.poster)}" alt="{e(item.title)}" lang="{e(alt_lang)}" '
            f'width="360"><span class="play"{_lang_attr(words, "watch")}>'
            f'{e(words.label("watch"))}</span></a>'
            f'<p class="meta"{f" lang={chr(34)}{e(lang)}{chr(34)}" if words.catalogued else ""}>'
            f"{e(_duration(item.duration_s, words))}</p>"
            f"{_sound(item, registry, words)}"
            f'<p class="actions">{"".join(actions)}</p></article>')


def _section(code: str, items: list[PageItem], registry: Registry, words: SectionWords,
             default: bool) -> str:
    e = html.escape
    help_text = words.word("help")
    help_line = f'<p class="help" lang="{e(code)}">{e(help_text)}</p>' if help_text else ""
    body = "".join(_article(i, registry, words) for i in items if i.language == code)
    # "↑" goes back to this language's own anchor: the top of the page, the choice kept.
    return (f'<section class="s-{e(code)}{" d" if default else ""}" lang="{e(code)}">'
            f"<h2>{e(registry.get(code).name_native)}</h2>{help_line}{body}"
            f'<p><a class="big" href="#lang-{e(code)}"{_lang_attr(words, "top")}>'
            f'{e(words.label("top"))}</a></p></section>')


def _choice_css(langs: list[str]) -> str:
    """Per language: its section and its header tagline shown, and its picker button
    marked, when chosen."""
    return "".join(f"#lang-{c}:target~main .s-{c}{{display:block}}"
                   f"#lang-{c}:target~header .g-{c}{{display:inline}}"
                   f"#lang-{c}:target~nav a.l-{c}{{background:#00684e;color:#fff}}"
                   for c in langs)


def _taglines(langs: list[str], words: dict[str, SectionWords]) -> str:
    """The header's tagline in each language that has the words, only the chosen
    language's shown (the first language's when none is chosen), as the sections are."""
    e = html.escape
    spans = "".join(f'<span class="g g-{e(c)}{" d" if k == 0 else ""}" lang="{e(c)}">'
                    f"{e(words[c].word('tagline'))}</span>"
                    for k, c in enumerate(langs) if words[c].word("tagline"))
    return f"<p>{spans}</p>" if spans else ""


def _in_every_language(key: str, langs: list[str], words: dict[str, SectionWords],
                       ui: str) -> str:
    """``key``'s text in the page's language and in every language that has the words
    (each once, "·" between): the page's frame speaks to readers of any of them."""
    e = html.escape
    said = {t(f"bundle.{key}", ui): ui}
    for c in langs:
        said.setdefault(words[c].word(key), c)
    return " · ".join(f'<span lang="{e(lang)}">{e(text)}</span>'
                      for text, lang in said.items() if text)


def render_page(items: list[PageItem], order: list[str], registry: Registry, ui: str,
                interface: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The whole page; ``order`` is the picker's order of languages (the first one shows
    when no language is chosen); ``interface``: language → its approved interface words
    (:func:`pipeline.publish.interface.interface_source` keys); ``ui``: the language of
    the page's ``<title>``."""
    e = html.escape
    langs = [c for c in order if any(i.language == c for i in items)]
    words = {c: SectionWords(c, (interface or {}).get(c, {})) for c in langs}
    anchors = "".join(f'<a class="t" id="lang-{e(c)}"></a>' for c in langs)
    picker = "".join(
        f'<li><a class="big l-{e(c)}{" d" if k == 0 else ""}" href="#lang-{e(c)}" '
        f'lang="{e(c)}">{e(registry.get(c).name_native)}</a></li>'
        for k, c in enumerate(langs))
    sections = "".join(_section(c, items, registry, words[c], k == 0)
                       for k, c in enumerate(langs))
    return (f'<!doctype html>\n<html lang="{e(ui)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(t('bundle.page_title', ui))}</title>\n"
            f"<style>{_STYLE}{_choice_css([e(c) for c in langs])}</style>\n</head>\n<body>\n"
            f"{anchors}\n<header><h1>Cầu Nối</h1>{_taglines(langs, words)}</header>\n"
            f"<nav><h2>{ICONS['choose']} {_in_every_language('choose', langs, words, ui)}</h2>"
            f'<ul class="langs">{picker}</ul></nav>\n'
            f"<main>\n{sections}\n</main>\n</body>\n</html>\n")
