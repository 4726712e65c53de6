"""Quality checks (one failing and one passing case each) and glossary validation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import Registry
from pipeline.translate.glossary import (
    Glossary,
    Term,
    check_glossaries,
    load_glossary,
)
from pipeline.translate.qa import CHECKS, ERROR, WARNING, QAIssue, number_values, run_checks
from pipeline.translate.tbx import export_tbx, import_tbx

GLOSSARY = {"mã QR": "QR code"}
DNT = ("Zalo",)

# code -> (source, bad target, good target, target language, raw MT, placeholders)
CASES: dict[str, tuple[str, str, str, str, str | None, int]] = {
    "empty": ("Xin chào bà con.", "", "Hello everyone.", "en", None, 0),
    "untranslated": ("Xin chào bà con.", "Xin chào bà con.", "Hello everyone.", "en", None, 0),
    "numbers": ("Trả 45.000 đồng.", "Pay 46,000 dong.", "Pay 45,000 dong.", "en", None, 0),
    "url": ("Vào dichvucong.gov.vn hoặc https://dichvucong.gov.vn/a nhé.",
            "Go to https://dichvucong.gov.vn/b now.", "Go to https://dichvucong.gov.vn/a now.",
            "en", None, 0),
    "phone": ("Gọi 0912 345 678 để hỏi.", "Call 0912 345 679 to ask.",
              "Call 0912.345.678 to ask.", "en", None, 0),
    "placeholder": ("Mở Zalo rồi quét.", "Open Zalo then scan.", "Open Zalo then scan.", "en",
                    "Open <t1> <t1> then scan", 1),
    # The offline bundle's words carry fields a program fills in (issue 31 item 14).
    "fields": ("Chỉ nghe (MP3, {mb} MB)", "Listen only (MP3, MB)", "Listen only (MP3, {mb} MB)",
               "en", None, 0),
    "glossary": ("Quét mã QR ở quầy.", "Scan the code at the counter.",
                 "Scan the QR code at the counter.", "en", None, 0),
    "dnt": ("Mở Zalo để nhắn tin.", "Open the app to chat.", "Open Zalo to chat.", "en", None,
            0),
    "length": ("Bấm nút xác nhận.", "Press.", "Press the confirm button.", "en", None, 0),
    "script": ("Bấm nút xác nhận.", "ꪀꪁꪂ ꪃꪄꪅ ꪆꪇꪈ ꪉꪊꪋ ꪌꪍ.", "Press the confirm button.", "en", None,
               0),
}


def test_every_check_has_a_case() -> None:
    assert set(CASES) == set(CHECKS)


@pytest.mark.parametrize("code", sorted(CASES))
def test_check_fails_and_passes(code: str, registry: Registry) -> None:
    source, bad, good, lang, raw, n = CASES[code]
    language = registry.get(lang)
    issues = run_checks(source, bad, language, glossary=GLOSSARY, dnt=DNT, raw_mt=raw,
                        placeholders=n)
    assert code in {i.code for i in issues}
    good_raw = None if raw is None else "Open <t1> then scan"
    issues = run_checks(source, good, language, glossary=GLOSSARY, dnt=DNT, raw_mt=good_raw,
                        placeholders=n)
    assert code not in {i.code for i in issues}, issues


@pytest.mark.parametrize(("target", "ok"), [
    ("Pay 45,000 dong.", True), ("Pay 45 000 dong.", True), ("Pay 45.000 dong.", True),
    ("Pay 45000 dong.", True), ("Pay 45\u202f000 dong.", True), ("Pay 54,000 dong.", False),
    ("Pay 45,00 dong.", False), ("Pay 4,500 dong.", False), ("Pay 450 dong.", False)])
def test_numbers_understand_separators(target: str, ok: bool, registry: Registry) -> None:
    issues = run_checks("Trả 45.000 đồng.", target, registry.get("en"), glossary={}, dnt=())
    assert ("numbers" not in {i.code for i in issues}) is ok, issues


def test_number_values_dates_and_decimals() -> None:
    assert number_values("ngày 12/05/2024") == number_values("on 12.05.2024")
    assert number_values("3,5 kg") == number_values("3.5 kg")
    assert number_values("1.234,5") == number_values("1,234.5")
    assert number_values("5 phút") != number_values("15 minutes")


def test_severities_and_messages(registry: Registry) -> None:
    """Errors block approval, warnings do not; one plain message per check, in the UI
    language only."""
    errors = {"empty", "numbers", "url", "phone", "placeholder", "fields", "dnt", "script"}
    assert {c for c, check in CHECKS.items() if check.severity == ERROR} == errors
    assert {c for c, check in CHECKS.items() if check.severity == WARNING} == {
        "untranslated", "glossary", "length"}
    for code in CHECKS:
        vi, en = QAIssue(code).message("vi"), QAIssue(code).message("en")
        assert vi != en and "/" not in vi.replace("<t1>…", "") and vi.endswith(".")
    issue = run_checks("Trả 45.000 đồng.", "Pay 54,000 dong.", registry.get("en"),
                       glossary={}, dnt=())[0]
    assert issue.message("en") == ("A number, date or amount differs from the Vietnamese. "
                                   "Copy every number exactly. The Vietnamese has: 45000; "
                                   "the translation has: 54000.")
    assert QAIssue.from_json(issue.to_json()) == issue
    left = run_checks("Mở Zalo.", "Open <t1>.", registry.get("en"), glossary={}, dnt=())
    assert "placeholder" in {i.code for i in left}


def test_tai_viet_script_accepted_for_tai_dam(registry: Registry) -> None:
    issues = run_checks("Bấm nút.", "ꪀꪁꪂ ꪃꪄ.", registry.get("blt"), glossary={}, dnt=())
    assert "script" not in {i.code for i in issues}


def _write(path: Path, text: str) -> None:
    path.write_text("vi,target,pos,note,status,source\n" + text, encoding="utf-8")


def test_glossary_problems_have_line_numbers(tmp_path: Path, registry: Registry) -> None:
    _write(tmp_path / "en.csv", "mã QR,QR code,noun,,approved,team\n"
                                "mã QR,QR code,noun,,approved,team\n"
                                "số dư,balance,noun,,approved,team\n"
                                "số dư,remaining,noun,,approved,team\n"
                                "ví,wallet,noun,,approved,\n"
                                "tiền,,noun,,maybe,\n")
    _write(tmp_path / "xx.csv", "")
    (tmp_path / "km.csv").write_bytes("vi,target\nmã QR,\n".encode("utf-16"))
    problems = [str(p) for p in check_glossaries(tmp_path, registry)]
    text = "\n".join(problems)
    assert "en.csv:3: duplicate of line 2" in text
    assert "en.csv:5: conflicts with line 4" in text
    assert "en.csv:6:" in text and "no source" in text
    assert "en.csv:7:" in text and "maybe" in text
    assert "xx.csv:0: unknown language 'xx'" in text
    assert "km.csv:1: not UTF-8" in text


def test_repository_glossaries_are_valid(registry: Registry) -> None:
    assert check_glossaries(registry.path.parent, registry) == []
    # Minority-language term lists carry no invented targets.
    for code in ("hmn", "blt", "tyz", "ium", "nut"):
        assert all(not t.target or t.source for t in
                   load_glossary(registry.path.parent, code).terms)


def test_glossary_check_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(PROJECT_ROOT / "glossaries" / "languages.toml", tmp_path)
    _write(tmp_path / "en.csv", "ví,wallet,noun,,approved,\n")
    monkeypatch.setenv("CAUNOI_GLOSSARY_DIR", str(tmp_path))
    code = main(["glossary", "check"])
    err = capsys.readouterr().err
    assert code == 2 and "en.csv:2:" in err


def test_tbx_round_trip_needs_a_source(tmp_path: Path, registry: Registry) -> None:
    src = registry.path.parent
    n = export_tbx(load_glossary(src, "en"), tmp_path / "en.tbx")
    assert n > 10
    shutil.copy(src / "languages.toml", tmp_path)
    with pytest.raises(Exception, match="source"):
        import_tbx(tmp_path / "en.tbx", tmp_path, "en", "")
    added = import_tbx(tmp_path / "en.tbx", tmp_path, "en", "exported test file")
    assert added == n
    terms = load_glossary(tmp_path, "en").terms
    assert all(t.status == "proposed" and t.source == "exported test file" for t in terms)


def test_csv_cells_are_neutralised_for_spreadsheets(tmp_path: Path) -> None:
    from pipeline.translate.glossary import add_term, write_glossary

    write_glossary(tmp_path / "en.csv", [Term("=1+1", "+cmd", "", "-x", "proposed", "@me")])
    text = (tmp_path / "en.csv").read_text(encoding="utf-8")
    assert "'=1+1,'+cmd,,'-x,proposed,'@me" in text
    assert load_glossary(tmp_path, "en").terms[0].vi == "=1+1"
    with pytest.raises(Exception, match="empty term"):
        add_term(tmp_path, "en", Term("  ", "x", status="approved", source="me"))
    with pytest.raises(Exception, match="invisible"):
        add_term(tmp_path, "en", Term("a\u200bb", "x", status="approved", source="me"))
    assert (tmp_path / "en.csv").read_text(encoding="utf-8") == text


def test_tbx_import_is_cleaned_and_validated(tmp_path: Path) -> None:
    terms = (Term(" @mã  QR ", "=QR", status="approved", source="t"), Term("ví", "wallet"))
    export_tbx(Glossary("en", terms), tmp_path / "in.tbx")
    out = tmp_path / "out"
    out.mkdir()
    assert import_tbx(tmp_path / "in.tbx", out, "en", "test file") == 2
    text = (out / "en.csv").read_text(encoding="utf-8")
    assert "'@mã QR,'=QR" in text
    assert [t.vi for t in load_glossary(out, "en").terms] == ["@mã QR", "ví"]
