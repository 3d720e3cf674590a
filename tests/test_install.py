"""End-to-end: a new user with only `pip install .` done, working in a folder of their own.

The package is installed (not editable) into a fresh virtualenv, its
dependencies from the package index as a user gets them, and the installed
`consult` is run from a folder outside the repository: the samples, the
scenarios, the bank and the help must all come with the install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).parent.parent
pytestmark = pytest.mark.install


@pytest.fixture(scope="module")
def consult_cmd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `consult` command of a fresh virtualenv with the package installed by pip."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    source = tmp_path_factory.mktemp("source") / "consult"
    # A copy, so that the build leaves nothing in the repository.
    shutil.copytree(
        REPOSITORY,
        source,
        ignore=shutil.ignore_patterns(".venv*", ".git", "build", "*.egg-info", "__pycache__"),
    )
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-2000:]
    return venv / "bin" / "consult"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The user's own folder, outside the repository."""
    assert REPOSITORY not in tmp_path.parents
    return tmp_path


def run(consult: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["COLUMNS"] = "80"
    return subprocess.run(
        [str(consult), *args], cwd=home, env=env, capture_output=True, text=True, check=False
    )


def test_a_sample_a_folder_of_one_and_a_folder_of_three_give_one_json_shape(
    consult_cmd: Path, home: Path
) -> None:
    listed = run(consult_cmd, home, "template", "--samples")
    assert listed.returncode == 0
    samples = [Path(line) for line in listed.stdout.splitlines()]
    assert len(samples) >= 3
    assert all("site-packages" in str(p) and p.is_file() for p in samples)
    alone = run(consult_cmd, home, "evaluate", str(samples[0]), "-f", "json")
    assert (alone.returncode, alone.stderr) == (0, "")
    result = json.loads(alone.stdout)
    assert isinstance(result, dict) and result["candidates"]
    for count in (1, 3):
        folder = home / f"folder-{count}"
        folder.mkdir()
        for sample in samples[:count]:
            shutil.copy(sample, folder)
        done = run(consult_cmd, home, "evaluate", folder.name, "-f", "json")
        assert (done.returncode, done.stderr) == (0, "")
        records = json.loads(done.stdout)
        assert isinstance(records, list)
        assert [list(r) for r in records] == [["file", "patient_ref", "result"]] * count
        assert records[0]["file"] == f"{folder.name}/{samples[0].name}"
        assert records[0]["result"] == result


def test_a_template_written_and_filled_in_is_evaluated(consult_cmd: Path, home: Path) -> None:
    written = run(consult_cmd, home, "template", "hair_loss", "--example", "-o", "mine.yaml")
    assert (written.returncode, written.stdout) == (0, "")
    assert "norwood_stage:" in (home / "mine.yaml").read_text()
    done = run(consult_cmd, home, "evaluate", "mine.yaml", "-f", "csv")
    assert done.returncode == 0
    assert done.stdout.splitlines()[1].startswith("mine.yaml,,,prp_scalp ")


def test_the_shipped_scenarios_run_from_the_users_folder(consult_cmd: Path, home: Path) -> None:
    done = run(consult_cmd, home, "test", "--coverage")
    assert done.returncode == 0, done.stdout[-2000:]
    assert re.search(r"^\d+ passed, 0 failed$", done.stdout, re.MULTILINE)
    assert "ok   scenarios/hair-male-pattern-clean.yaml" in done.stdout.splitlines()
    assert "site-packages" not in done.stdout


def test_explain_names_bank_files_as_the_bank_does(consult_cmd: Path, home: Path) -> None:
    sample = run(consult_cmd, home, "template", "--samples").stdout.split()
    hair = next(p for p in sample if p.endswith("hair-loss-male.yaml"))
    done = run(consult_cmd, home, "explain", hair, "prp_scalp")
    assert done.returncode == 0
    assert "site-packages" not in done.stdout
    assert re.search(r"   rules/30-hair\.yaml:\d+:\d+$", done.stdout, re.MULTILINE)


def test_the_installed_help_is_whole_and_points_to_installed_documents(
    consult_cmd: Path, home: Path
) -> None:
    top = run(consult_cmd, home, "--help")
    assert "..." not in top.stdout.split("Commands:", 1)[1]
    intake = run(consult_cmd, home, "intake", "--help").stdout
    guide = re.search(r"hidden-answer rule:\s+(\S+)", intake)
    assert guide is not None
    assert "site-packages" in guide.group(1)
    assert Path(guide.group(1)).read_text().startswith("# ")


def test_export_writes_the_summary_to_stdout(consult_cmd: Path, home: Path) -> None:
    sample = run(consult_cmd, home, "template", "--samples").stdout.split()[0]
    done = run(consult_cmd, home, "export", sample, "--date", "2026-11-02")
    assert done.returncode == 0
    assert done.stdout.startswith("# Consultation record\n")
    assert list(home.iterdir()) == []


def test_a_broken_bank_is_status_78_and_validate_1(consult_cmd: Path, home: Path) -> None:
    (home / "q").mkdir()
    (home / "q" / "q.yaml").write_text("sections: 3\n")
    (home / "r").mkdir()
    (home / "r" / "r.yaml").write_text("rules: []\n")
    sample = run(consult_cmd, home, "template", "--samples").stdout.split()[0]
    bank = ["--questions", "q", "--rules", "r"]
    assert run(consult_cmd, home, "evaluate", sample, *bank).returncode == 78
    assert run(consult_cmd, home, "validate", *bank).returncode == 1
