"""The record and the patient's summary as HTML, rendered in headless Chromium.

`consult export --format html` writes each of the three consultations; Chromium
loads the page (`--dump-dom`), takes a screenshot and prints it to PDF, and the
tests read the text Chromium rendered. Without Chromium (`apt-get install
chromium`) the tests that need it are skipped, saying so. They are marked
`browser`: a plain `pytest` leaves them out, `pytest -m browser` (CI) runs them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consult.cli.main import app
from consult.output.html import render_html
from tests.output.test_record import (
    ATTESTATION,
    CLINICIAN,
    CONSULTATIONS,
    DATE,
    RECORDS,
    section,
    seen,
)

TIME = "10:15"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def chromium() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        pytest.skip("this machine has no Chromium (apt-get install chromium)")
    return found


def browse(chromium: str, page: Path, *args: str) -> str:
    """Run headless Chromium on a page; its stdout."""
    profile = page.parent / f"profile-{page.stem}"
    command = [
        chromium,
        "--headless",
        "--no-sandbox",  # the tests may run as root in a container
        "--disable-gpu",
        f"--user-data-dir={profile}",
        *args,
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def export(tmp_path: Path, name: str, audience: str, output_format: str) -> Path:
    target = tmp_path / f"{name}-{audience}.{output_format}"
    args = ["export", str(CONSULTATIONS / f"{name}.yaml"), "-o", str(target)]
    args += ["--for", audience, "--format", output_format, "--date", DATE, "--time", TIME]
    result = CliRunner().invoke(app, args, env={"CONSULT_CLINICIAN": CLINICIAN})
    assert (result.exit_code, result.stderr) == (0, "")
    return target


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_the_html_record_is_the_markdown_record_on_a_printable_page(
    tmp_path: Path, name: str
) -> None:
    page = export(tmp_path, name, "record", "html").read_text(encoding="utf-8")
    markdown = export(tmp_path, name, "record", "md").read_text(encoding="utf-8")
    assert page == render_html(markdown, title=f"Consultation record {DATE}")
    assert "@media print" in page and "@page" in page
    assert not re.search(r"""(src|href)=|<script|<link|@import|url\(""", page)
    assert RECORDS[name][0] not in page.split("</title>")[0]  # no patient in the tab title


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(RECORDS))
def test_chromium_renders_the_record(chromium: str, tmp_path: Path, name: str) -> None:
    page = export(tmp_path, name, "record", "html")
    text, headings = seen(browse(chromium, page, "--dump-dom"))
    ref, findings, plan = RECORDS[name]
    assert headings[0] == "Consultation record"
    assert text.splitlines()[1:5] == [
        f"Patient reference: {ref}",
        f"Date: {DATE}",
        f"Time: {TIME}",
        f"Clinician: {CLINICIAN}",
    ]
    assert all(finding in section(text, "Safety findings") for finding in findings)
    assert [h for h in headings if h in plan] == list(plan)
    areas = section(text, "Plan per treatment area")
    assert all(line in areas for lines in plan.values() for line in lines)
    assert section(text, "Attestation").splitlines()[:2] == [ATTESTATION, f"Clinician: {CLINICIAN}"]
    assert not any("schema" in h or "sha256" in h for h in headings)
    assert headings[1] == "Safety findings"


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(RECORDS))
def test_chromium_renders_the_patient_summary(chromium: str, tmp_path: Path, name: str) -> None:
    page = export(tmp_path, name, "patient", "html")
    text, headings = seen(browse(chromium, page, "--dump-dom"))
    assert headings[0] == "Your consultation summary"
    assert text.splitlines()[1:4] == [
        f"Your reference: {RECORDS[name][0]}",
        f"Date: {DATE}",
        f"Your clinician: {CLINICIAN}",
    ]
    assert "Treatments you could talk about" in headings
    assert "How sure we are that it works: " in text
    assert not re.search(r"\bR[0-9]+[a-z]?\b", text)


@pytest.mark.browser
@pytest.mark.parametrize("audience", ["record", "patient"])
def test_chromium_prints_the_page_and_takes_a_screenshot(
    chromium: str, tmp_path: Path, audience: str
) -> None:
    page = export(tmp_path, "woman-60-face-scar-back-keloid", audience, "html")
    pdf, png = tmp_path / "page.pdf", tmp_path / "page.png"
    browse(chromium, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    browse(chromium, page, "--window-size=900,1200", f"--screenshot={png}")
    printed = pdf.read_bytes()
    assert printed.startswith(b"%PDF-") and len(printed) > 10_000
    assert len(re.findall(rb"/Type\s*/Page\b", printed)) >= 1
    shot = png.read_bytes()
    assert shot.startswith(b"\x89PNG\r\n\x1a\n") and len(shot) > 10_000
