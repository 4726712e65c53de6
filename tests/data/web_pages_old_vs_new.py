"""Fetch a fixed list of review and portal pages (29 answers, four users) with the old code
(9c03f80) or the new, printing status, headers and bodies (CSRF tokens, times and the temp
folder masked) for a diff. Usage:
  git archive 9c03f80 pipeline flows scripts glossaries | tar -x -C /tmp/old
  (cd /tmp/old && PYTHONPATH=/tmp/old python THIS old) > old.txt
  PYTHONPATH=$PWD python THIS new > new.txt && diff old.txt new.txt
(only the static files' etag/last-modified differ: file times of the two checkouts)."""
import re
import sys
import tempfile
from pathlib import Path

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.types import Cue
from pipeline.review import security
from pipeline.review.store import ReviewStore
from pipeline.translate.drafts import TranslatedCue

security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
mode = sys.argv[1]
tmp = Path(tempfile.mkdtemp())
s = load_settings(config_file=tmp / "none.toml", env={}, out_dir=tmp / "out",
                  lessons_dir=tmp / "lessons", model_dir=tmp / "m", prefect_home=tmp / "p")
store = ReviewStore(s.review_url)
P = "correct horse 9"
if mode == "old":
    from pipeline.portal.registry import add_lesson
    store.add_user("lan", P, {}, teams=("laocai",))
    def add() -> None:
        add_lesson(store, "qr-1", "laocai", "Mã QR", "lan")
else:
    from pipeline.portal.store import PortalStore
    ps = PortalStore.on(store)
    ps.editors.add_user("lan", P, {}, teams=("laocai",))
    def add() -> None:
        ps.lessons.add("qr-1", "laocai", "Mã QR", "lan")
store.add_user("mai", P, {"hmn": "reviewer"})
store.add_user("boss", P, {}, admin=True)
cues = [Cue(0, 0, 0, 900, ("Bấm nút xác nhận.",), "aaaaaaaaaaaaaaaa-1.1", 1),
        Cue(1, 1, 1000, 1900, ("Quét mã QR.",), "bbbbbbbbbbbbbbbb-1.1", 1)]
store.sync_lesson("qr-1", "Mã QR", cues, {"hmn": [
    TranslatedCue(c.index, c.index, c.start_ms, c.end_ms, c.text, f"DRAFT-{c.index}",
                  "mt:test", cue_id=c.id) for c in cues]})
folder = s.lessons_dir / "qr-1"
folder.mkdir(parents=True)
(folder / "lesson.toml").write_text('id = "qr-1"\ntitle = "Mã QR"\nlanguages = ["hmn"]\n')
(folder / "script.md").write_text("# Mã QR\n\nBấm nút xác nhận. Quét mã QR.\n")
add()
registry = load_registry(s.glossary_dir)
if mode == "old":
    from pipeline.portal.context import PortalOptions
    from pipeline.review.web import WebOptions, create_app
    app = create_app(store, registry, WebOptions(out_dir=s.out_dir, secret="s" * 40,
        glossary_dir=s.glossary_dir, tm_dir=s.tm_path, title_card_s=s.title_card_s,
        portal=PortalOptions(s)))
else:
    from flows.app import create_app
    from pipeline.steps.web_options import web_options
    web, portal = web_options(s, "s" * 40)
    app = create_app(store, registry, web, portal)

def show(c, label, path, method="GET", **kw):
    r = c.request(method, path, **kw)
    body = re.sub(r'(name="csrf" value=|"csrf":|csrf=)"?[A-Za-z0-9_\-]{20,}"?', r"\1<csrf>", r.text)
    body = re.sub(str(tmp), "<tmp>", body)
    body = re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?", "<time>", body)
    heads = {k: v for k, v in r.headers.items()
             if k not in ("date", "set-cookie", "content-length")}
    print(f"== {label} {method} {path} -> {r.status_code} {sorted(heads.items())}")
    print(body)

def login(c, user):
    c.cookies.clear()
    tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    return c.post("/login", data={"username": user, "password": P, "csrf": tok},
                  follow_redirects=False)

with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
    for p in ("/login", "/", "/portal", "/healthz", "/nope", "/static/review.js",
              "/portal/static/portal.js", "/login?ui=en"):
        show(c, "anon", p)
    for user, paths in (("mai", ["/", "/l/qr-1/hmn", "/l/qr-1/hmn/c/0",
                                 "/l/qr-1/hmn/c/0/history", "/portal", "/l/qr-1/hmn?ui=en",
                                 "/l/qr-1/xx"]),
                        ("lan", ["/", "/portal", "/portal/new", "/portal/l/qr-1",
                                 "/portal/l/qr-1/status.json", "/portal/l/other",
                                 "/l/qr-1/hmn"]),
                        ("boss", ["/", "/admin/glossary", "/portal", "/portal/l/qr-1?ui=en"])):
        r = login(c, user)
        print(f"== login {user} -> {r.status_code} {r.headers.get('location')}")
        for p in paths:
            show(c, user, p)
