"""The bundle page's words and structure, the poster moment, and the atomic swap of a
target folder: fast checks without media."""

from __future__ import annotations

import html.parser
from pathlib import Path

import pytest

from pipeline.core.languages import Registry
from pipeline.publish.entries import content_moment_ms
from pipeline.publish.errors import TargetRefusedError
from pipeline.publish.page import PageItem, render_page
from pipeline.publish.paths import MARKER, guard_target, marker_files, staged_folder


def _item(lang: str, title: str, native: bool, mp3: bool = False) -> PageItem:
    return PageItem(language=lang, title=title, title_native=native,
                    video=f"l/video/{lang}-compat.mp4", poster=f"l/posters/{lang}-compat.jpg",
                    duration_s=83.4, video_bytes=2_345_678,
                    mp3=f"l/audio/{lang}-audio.mp3" if mp3 else "", mp3_bytes=456_789)


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("href"):
            self.hrefs.append(str(a["href"]))
        if a.get("id"):
            self.ids.add(str(a["id"]))


def test_page_titles_names_and_words(registry: Registry) -> None:
    items = [_item("hmn", "Trả tiền bằng mã QR", False, mp3=True),
             _item("en", "Paying with a QR code", True),
             _item("vi", "Trả tiền bằng mã QR", True)]
    page = render_page(items, ["hmn", "en", "vi"], registry, "vi")
    parser = _Links()
    parser.feed(page)
    assert "track" not in parser.tags and "script" not in parser.tags
    anchors = [h[1:] for h in parser.hrefs if h.startswith("#")]
    assert anchors and all(a in parser.ids for a in anchors)
    assert page.index("<nav") < page.index("<main")
    assert '<a class="big l-hmn d" href="#lang-hmn" lang="hmn">Hmoob</a>' in page
    assert '<a class="big l-en" href="#lang-en" lang="en">English</a>' in page
    # Hmong has no title of its own: the Vietnamese one, marked with the language's own name.
    assert '<h3 lang="vi">Trả tiền bằng mã QR <small lang="vi">(Tiếng Việt)</small></h3>' in page
    assert '<h3 lang="en">Paying with a QR code</h3>' in page
    vi = _section(page, "vi")
    assert "1 phút 23 giây" in vi and "2,3 MB" in vi and "Lưu video" in vi
    assert "MP3 0,5 MB" in _section(page, "hmn") and page.count("MP3") == 1
    english = _section(page, "en")
    assert "1 min 23 s" in english and "2.3 MB" in english and "Save the video" in english
    # The header's tagline is the chosen language's (each language that has the words has
    # one, shown by :target); the sections keep their own languages.
    framed = render_page(items, ["hmn", "en", "vi"], registry, "en")
    header = framed[framed.index("<header"):framed.index("</header>")]
    assert '<span class="g g-en" lang="en">Lessons to watch offline</span>' in header
    assert '<span class="g g-vi" lang="vi">Bài học xem không cần mạng</span>' in header
    assert _section(framed, "vi") == vi


def _section(page: str, code: str) -> str:
    start = page.index(f'<section class="s-{code}')
    return page[start:page.index("</section>", start)]


def test_poster_moment_avoids_chapter_banners() -> None:
    cues = [(800, 6070), (6660, 10250), (10840, 13487)]
    assert content_moment_ms(cues, [800], 3000) == 8455  # cue 0's middle is under the banner
    assert content_moment_ms(cues, [], 3000) == 3435
    assert content_moment_ms(cues, [0, 6000, 10000], 6000) is None


def test_staged_folder_swaps_and_keeps_old_on_failure(tmp_path: Path) -> None:
    dst = tmp_path / "usb"
    with staged_folder(dst, "bundle") as new:
        (new / "a.txt").write_text("one", encoding="utf-8")
    assert marker_files(dst) == {"a.txt"}
    guard_target(dst, [tmp_path / "out"])  # our own previous bundle may be replaced
    with pytest.raises(RuntimeError), staged_folder(dst, "bundle") as new:
        (new / "b.txt").write_text("two", encoding="utf-8")
        raise RuntimeError("disk trouble")
    assert sorted(p.name for p in dst.iterdir()) == [MARKER, "a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["usb"]
    with staged_folder(dst, "bundle") as new:
        (new / "b.txt").write_text("two", encoding="utf-8")
    assert sorted(p.name for p in dst.iterdir()) == [MARKER, "b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["usb"]


def test_leftover_staging_sibling_is_ours(tmp_path: Path) -> None:
    dst = tmp_path / "usb"
    with staged_folder(dst, "bundle") as new:
        (new / "a.txt").write_text("one", encoding="utf-8")
    (dst / ".sub.caunoi-new-x1" / "v").mkdir(parents=True)  # a run killed mid-copy
    (dst / ".sub.caunoi-new-x1" / "v" / "a.mp4").write_bytes(b"half")
    guard_target(dst, [])
    (dst / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(TargetRefusedError):
        guard_target(dst, [])
