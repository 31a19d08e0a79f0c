"""``mailbot parse FILE... --json``: one line per file in order, errors as lines, no side effects."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mailbot.cli import main

CORPUS = Path(__file__).parent / "corpus"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["parse", "--json", *argv])
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MAILBOT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./mailbot.toml


def test_one_line_per_file_in_order_with_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a, b = CORPUS / "cancellation_it.eml", CORPUS / "trap_outlook_html_table.eml"
    missing = tmp_path / "missing.eml"
    code, lines = run(capsys, str(a), str(missing), str(b))
    assert code == 0
    assert [line["file"] for line in lines] == [str(a), str(missing), str(b)]
    assert lines[0]["intent"] == "cancellation" and lines[2]["fields"]["cig"] == ["A12345FCF1"]
    assert set(lines[1]) == {"file", "error"} and "cannot read" in lines[1]["error"]


def test_directory_is_an_error_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, lines = run(capsys, str(tmp_path))
    assert code == 0 and lines[0]["file"] == str(tmp_path) and "error" in lines[0]


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    raw = (CORPUS / "autorenew_off_en.eml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    code, lines = run(capsys, "-")
    assert code == 0 and lines[0]["file"] == "-" and lines[0]["intent"] == "autorenew_off"


def test_own_addresses_from_option_and_default_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = "Che faccio?\n\n---------- Forwarded message ---------\nFrom: Staff <staff@ours.example>\n\nCIG 8814006BD6\n"
    eml = tmp_path / "fwd.eml"
    eml.write_bytes(f"From: a@client.example.org\nSubject: Fwd: x\n\n{body}".encode())
    assert run(capsys, str(eml))[1][0]["fields"] == {"cig": ["8814006BD6"]}
    assert run(capsys, "--own", "Staff@Ours.example", str(eml))[1][0]["fields"] == {}
    ours = tmp_path / "ours.eml"  # rinnovi@example.it is the built-in default mail.from_address
    ours.write_bytes(eml.read_bytes().replace(b"staff@ours.example", b"rinnovi@example.it"))
    assert run(capsys, str(ours))[1][0]["fields"] == {}


def test_custom_rules_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "one.toml").write_text(
        '[[rule]]\nname = "thanks"\ndescription = "d"\nintent = "invoice_request"\npriority = 1\n'
        "confidence = 1.0\nextractors = []\n[rule.when]\ntext_any = ['grazie']\n",
        encoding="utf-8",
    )
    code, lines = run(capsys, "--rules", str(rules), str(CORPUS / "other_it.eml"))
    assert code == 0 and lines[0]["intent"] == "invoice_request"
    assert [t["rule"] for t in lines[0]["rules"]] == ["thanks"] and lines[0]["rules"][0]["hit"]


def test_bad_rules_folder_fails_before_any_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[[rule]]\nname = "x"\n', encoding="utf-8")
    assert main(["parse", "--json", "--rules", str(tmp_path), str(CORPUS / "other_it.eml")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "bad.toml: rule 'x': missing key 'description'" in captured.err


def test_summary_without_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(CORPUS / "renewal_it_cp1252.eml")]) == 0
    out = capsys.readouterr().out.strip()
    head, _, fields = out.partition(" needs-review ")
    assert head.endswith("renewal_it_cp1252.eml: human renewal_request")
    assert sorted(fields.split()) == ["username=mario.rossi", "years=3"]


def test_real_command_needs_no_config_and_writes_nothing(tmp_path: Path) -> None:
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["MAILBOT_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"  # would fail if anything connected
    files = sorted(str(p) for p in CORPUS.glob("*.eml"))
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", "parse", "--json", *files],
        cwd=work,
        env=env,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [line["file"] for line in lines] == files and not any("error" in line for line in lines)
    assert list(work.iterdir()) == []


def test_each_answer_is_one_line_even_with_unicode_breaks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    eml = tmp_path / "breaks.eml"
    eml.write_bytes("Subject: x\nContent-Type: text/plain; charset=utf-8\n\nuno\u2028due\x85tre\u2029è\n".encode())
    main(["parse", "--json", str(eml)])
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1  # str.splitlines breaks on U+2028, U+2029 and NEL
    assert json.loads(out)["reply_text"] == "uno\u2028due\x85tre\u2029è"
