"""Issue 31 item 14: the bundle page speaks each language's approved interface words, icons
where a word has none (never Vietnamese as a section's main labels), one language at a time
with no JavaScript, and a zip whose files sit at its root. Approved texts are built by hand
(marked test data, never presented as Hmong), as the review store will give them."""

from __future__ import annotations

import html.parser
import re
import zipfile
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.i18n import BUNDLE
from pipeline.core.languages import Registry
from pipeline.publish.bundle import _guard_zip, _write_zip
from pipeline.publish.errors import TargetRefusedError
from pipeline.publish.interface import interface_source
from pipeline.publish.page import PageItem, render_page
from pipeline.publish.paths import MARKER
from tests.chromium import chromium

#: Every interface word of Hmong, approved (test markers standing in for reviewed Hmong).
HMN_ALL = {key: f"[test hmn] {key}" for key in interface_source()}


def _item(lang: str, title: str, native: bool, mp3: bool = True) -> PageItem:
    return PageItem(language=lang, title=title, title_native=native,
                    video=f"l/video/{lang}-compat.mp4", poster=f"l/posters/{lang}-compat.jpg",
                    duration_s=83.4, video_bytes=2_345_678,
                    mp3=f"l/audio/{lang}-audio.mp3" if mp3 else "", mp3_bytes=456_789)


ITEMS = [_item("hmn", "Trả tiền bằng mã QR", False), _item("blt", "Trả tiền bằng mã QR", False),
         _item("vi", "Trả tiền bằng mã QR", True)]


class _Text(html.parser.HTMLParser):
    """The visible text of one section, split by the element it is in."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []
        self.alts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.alts.append(str(dict(attrs).get("alt")))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.labels.append(data.strip())


def _section(page: str, code: str) -> _Text:
    start = page.index(f'<section class="s-{code}')
    parser = _Text()
    parser.feed(page[start:page.index("</section>", start)])
    return parser


def _vietnamese_words(labels: list[str]) -> list[str]:
    vi_texts = {vi for vi, _en in BUNDLE.values() if "{" not in vi}
    return [x for x in labels
            if any(v in x if len(v) > 3 else v in x.split() for v in vi_texts)]


def test_interface_units_are_short_and_placeholder_free() -> None:
    from pipeline.publish.interface import ICONS

    source = interface_source()
    assert set(source) == set(ICONS) and {"watch", "download", "listen", "top"} <= set(source)
    assert all("{" not in text and len(text) <= 60 for text in source.values())
    assert source["watch"] == "Xem"


def test_all_words_approved_section_speaks_only_them(registry: Registry) -> None:
    page = render_page(ITEMS, ["hmn", "blt", "vi"], registry, "vi", {"hmn": HMN_ALL})
    hmn = _section(page, "hmn")
    text = " ".join(hmn.labels)
    for key in ("watch", "download", "listen", "top", "help", "title_in_source"):
        assert HMN_ALL[key] in text, key
    assert "▶ [test hmn] watch" in hmn.labels and "⬇ [test hmn] download · 2,3 MB" in text
    # Only the lesson's title (no Hmong title yet) and the sound's language stay Vietnamese.
    leftovers = [x for x in hmn.labels if "[test hmn]" not in x and x != "Hmoob"]
    assert leftovers == ["Trả tiền bằng mã QR", "⏱ 1:23", "🎧 Tiếng Việt", "—"], leftovers
    assert not _vietnamese_words(hmn.labels)
    # The picker's heading says "choose" in every language that has the word.
    nav = page[page.index("<nav"):page.index("</nav>")]
    assert "Chọn ngôn ngữ" in nav and HMN_ALL["choose"] in nav and "🌏" in nav
    header = page[page.index("<header"):page.index("</header>")]
    assert f'lang="hmn">{HMN_ALL["tagline"]}</span>' in header


def test_missing_words_become_icons_not_vietnamese(registry: Registry) -> None:
    page = render_page(ITEMS, ["hmn", "blt", "vi"], registry, "vi",
                       {"hmn": {"watch": HMN_ALL["watch"]}})
    blt = _section(page, "blt")
    assert not _vietnamese_words(blt.labels), blt.labels
    assert "▶" in blt.labels and "↑" in blt.labels
    assert "⬇ 2,3 MB" in blt.labels and "🎧 MP3 0,5 MB" in blt.labels
    assert "⏱ 1:23" in blt.labels
    hmn = _section(page, "hmn")  # one word approved: that one, icons for the rest
    assert "▶ [test hmn] watch" in hmn.labels and "⬇ 2,3 MB" in hmn.labels
    assert not _vietnamese_words(hmn.labels)
    vi = _section(page, "vi")  # the source's own section keeps its words
    assert "▶ Xem" in vi.labels and "⬇ Lưu video · 2,3 MB" in vi.labels


def test_approved_title_on_poster_and_heading(registry: Registry) -> None:
    items = [PageItem(language="hmn", title="[test hmn] title", title_native=True,
                      video="l/v.mp4", poster="l/p.jpg", duration_s=5, video_bytes=1000)]
    page = render_page(items, ["hmn"], registry, "vi", {"hmn": HMN_ALL})
    hmn = _section(page, "hmn")
    assert hmn.alts == ["[test hmn] title"]
    assert '<h3 lang="hmn">[test hmn] title</h3>' in page
    assert HMN_ALL["title_in_source"] not in page


def test_one_language_at_a_time_without_javascript(registry: Registry) -> None:
    page = render_page(ITEMS, ["hmn", "blt", "vi"], registry, "vi")
    assert "<script" not in page
    css = page[page.index("<style>"):page.index("</style>")]
    assert re.search(r"(^|\})\s*section\{display:none", css, re.M)
    assert "section.d{display:block}" in css and "a.t:target~main section.d{display:none}" in css
    for code in ("hmn", "blt", "vi"):
        assert f"#lang-{code}:target~main .s-{code}{{display:block}}" in css
        assert f'<a class="t" id="lang-{code}"></a>' in page
    # The first language is the default section; the targets sit above the header, so a
    # choice keeps the picker in view.
    assert page.count(' d"') == 2 and '<section class="s-hmn d"' in page
    assert page.index('id="lang-vi"') < page.index("<header")
    assert 'href="#lang-blt"' in _section_html(page, "blt")  # "↑" keeps the choice


def _section_html(page: str, code: str) -> str:
    start = page.index(f'<section class="s-{code}')
    return page[start:page.index("</section>", start)]


def test_the_vietnamese_word_check_can_fail() -> None:
    assert _vietnamese_words(["▶ Xem", "⬇ 2,3 MB"]) == ["▶ Xem"]
    assert _vietnamese_words(["⬇ Lưu video · 2,3 MB"]) and not _vietnamese_words(["▶", "↑"])


def test_section_words_fallbacks() -> None:
    from pipeline.publish.interface import SectionWords

    assert SectionWords("hmn", {"watch": " "}).label("watch") == "▶"
    assert SectionWords("hmn", {"watch": "[test hmn] w"}).label("watch") == "▶ [test hmn] w"
    assert SectionWords("en").label("watch") == "▶ Watch"
    assert SectionWords("en", {"watch": "See it"}).word("watch") == "See it"  # approved wins
    assert SectionWords("vi").word("help") == BUNDLE["help"][0]
    assert SectionWords("th").word("help") == ""


def test_zip_files_at_its_root_and_foreign_zip_refused(tmp_path: Path) -> None:
    folder = tmp_path / "goi"
    (folder / "lesson" / "video").mkdir(parents=True)
    (folder / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (folder / MARKER).write_text("{}", encoding="utf-8")
    (folder / "lesson" / "video" / "vi-compat.mp4").write_bytes(b"\\0" * 10)
    zip_path = tmp_path / "goi.zip"
    _write_zip(folder, zip_path)
    with zipfile.ZipFile(zip_path) as z:
        names = sorted(z.namelist())
    assert names == [MARKER, "index.html", "lesson/video/vi-compat.mp4"]
    with pytest.raises(TargetRefusedError):  # ours, but not without --force
        _guard_zip(zip_path, "goi", force=False)
    _guard_zip(zip_path, "goi", force=True)
    old = tmp_path / "old.zip"  # a zip made before issue 31: our marker inside its folder
    with zipfile.ZipFile(old, "w") as z:
        z.writestr(f"old/{MARKER}", "{}")
    _guard_zip(old, "old", force=True)
    foreign = tmp_path / "photos.zip"
    with zipfile.ZipFile(foreign, "w") as z:
        z.writestr("index.html", "someone else's")
        z.writestr(f"elsewhere/{MARKER}", "{}")
    with pytest.raises(TargetRefusedError):
        _guard_zip(foreign, "photos", force=True)
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(TargetRefusedError):
        _guard_zip(tmp_path / "junk.zip", "junk", force=True)


def test_interface_words_from_the_review_store(tmp_path: Path, settings: Settings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The glue reads the approved interface words from the review store only when a store
    exists (never creating one, never opening a file that is not a database), and keeps
    the languages that have words; a store that cannot be read gives icons."""
    from pipeline.publish.interface import INTERFACE_LESSON_ID
    from pipeline.review.interface import sync_interface
    from pipeline.review.store import ReviewStore
    from pipeline.steps.publish import interface_words

    assert interface_words(settings, ["hmn", "vi"]) == {}  # no store: none, and none made
    db = settings.out_dir / "review.sqlite3"
    assert not db.exists()
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"not a database")  # never opened: the bundle is made with icons
    assert interface_words(settings, ["hmn"]) == {}
    assert db.read_bytes() == b"not a database"
    db.unlink()
    store = ReviewStore(settings.review_url)
    sync_interface(store, {"watch": "Xem", "top": "Lên đầu trang"}, ["hmn"],
                   INTERFACE_LESSON_ID)
    store.add_user("rev", "password-123", {"hmn": "reviewer"})
    unit = next(u for u in store.units(INTERFACE_LESSON_ID, "hmn", kinds=("ui",))
                if u.key == "ui.watch")
    done = store.save("rev", INTERFACE_LESSON_ID, "hmn", unit.key, "[test hmn] watch",
                      unit.version, "approve", reason="test marker text")
    assert done.ok, done
    assert interface_words(settings, ["hmn", "vi"]) == {"hmn": {"watch": "[test hmn] watch"}}

    def broken(store: ReviewStore, lang: str) -> dict[str, str]:
        from sqlalchemy.exc import OperationalError

        raise OperationalError("SELECT", {}, Exception("no such column: cues.kind"))

    monkeypatch.setattr("pipeline.review.interface.approved_interface", broken)
    assert interface_words(settings, ["hmn"]) == {}  # logged; the page shows its icons


def _bundle_folder(root: Path, registry: Registry) -> Path:
    """A bundle page with posters (drawn here) for three languages, Hmong's words approved."""
    from PIL import Image, ImageDraw

    root.mkdir(parents=True, exist_ok=True)
    for item, colour in zip(ITEMS, ("#35506b", "#6b3550", "#506b35"), strict=True):
        poster = root / item.poster
        poster.parent.mkdir(parents=True, exist_ok=True)
        img = Image.new("RGB", (360, 640), colour)
        ImageDraw.Draw(img).text((20, 560), f"poster {item.language}", fill="white")
        img.save(poster, format="JPEG")
        for path in (item.video, item.mp3):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(b"\0")
    page = render_page(ITEMS, ["hmn", "blt", "vi"], registry, "vi", {"hmn": HMN_ALL})
    (root / "index.html").write_text(page, encoding="utf-8")
    return root


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="Debian chromium missing")
def test_language_choice_in_chromium_without_javascript(tmp_path: Path,
                                                        registry: Registry) -> None:
    from pipeline.core.config import PROJECT_ROOT

    folder = _bundle_folder(tmp_path / "usb", registry)
    shots = PROJECT_ROOT / "output" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    sections = ["hmn", "blt", "vi"]
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 360, "height": 640},
                                      java_script_enabled=False)
        page = context.new_page()
        page.goto((folder / "index.html").as_uri())

        def shown() -> list[str]:
            return [c for c in sections if page.locator(f"section.s-{c}").is_visible()]

        assert shown() == ["hmn"]  # no fragment: the bundle's first language
        page.screenshot(path=str(shots / "bundle-words-360x640.png"))
        page.click("nav a[href='#lang-blt']")
        assert page.url.endswith("#lang-blt") and shown() == ["blt"]
        assert page.locator("nav").is_visible()  # the choice keeps the picker in view
        page.screenshot(path=str(shots / "bundle-words-360x640-blt.png"), full_page=True)
        page.click("section.s-blt a[href='#lang-blt']")  # "↑": back up, the choice kept
        assert shown() == ["blt"]
        page.click("nav a[href='#lang-vi']")
        assert shown() == ["vi"]
        page.goto((folder / "index.html").as_uri() + "#lang-hmn")
        assert shown() == ["hmn"]
        page.screenshot(path=str(shots / "bundle-words-360x640-hmn.png"), full_page=True)
        heights = [b["height"] for b in (page.locator(f"{s} a.big").nth(i).bounding_box()
                                         for s in ("nav", "section.s-hmn")
                                         for i in range(page.locator(f"{s} a.big").count()))
                   if b is not None]
        assert heights and min(heights) >= 48
