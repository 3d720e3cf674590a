"""`consult template`: blank and example answer files for given concerns; the installed samples."""

from __future__ import annotations

import itertools
import json
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

import consult
from consult.answers.read import read_answers, read_file
from consult.bank.model import Items, KnowledgeBase
from consult.cli.main import app
from consult.cli.shipped import samples, shipped
from tests.conftest import read_yaml

runner = CliRunner()
CONCERNS = [c.id for c in consult.load().by_id["concerns"].choices]
SITES = {c.id: c.sites for c in consult.load().by_id["concerns"].choices}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return consult.load()


def template(*args: str) -> str:
    result = runner.invoke(app, ["template", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def keys(text: str) -> list[str]:
    """The question ids a template lists, in order (comments left out)."""
    return re.findall(r"^\s*(?:- )?(\w+):", text, re.MULTILINE)


def sites_for(concerns: list[str]) -> list[str]:
    """A site for each concern that can be treated anywhere (the others have their own)."""
    return [] if all(SITES[c] for c in concerns) else ["--site", "face"]


# ---- what a template holds -------------------------------------------------------------


@pytest.mark.parametrize("concern", CONCERNS)
def test_a_blank_template_reads_as_an_answer_file_with_nothing_to_say(
    kb: KnowledgeBase, concern: str
) -> None:
    site = [] if SITES[concern] else ["--site", "other"]
    text = template(concern, *site)
    checked = read_answers(kb, text, "t.yaml")
    assert checked.warnings == ()
    assert checked.answers["concerns"] == (concern,)
    areas = checked.answers["areas"]
    assert isinstance(areas, Items)
    assert [dict(item)["concerns"] for item in areas.items] == [(concern,)]


def test_every_question_is_listed_with_its_text_and_allowed_values(kb: KnowledgeBase) -> None:
    text = template("hair_loss", "scars", "--site", "face")
    for line in text.splitlines():
        if re.match(r"\s*(- )?\w+:", line) and not line.lstrip().startswith(("answers", "areas")):
            qid = re.match(r"\s*(?:- )?(\w+):", line).group(1)  # type: ignore[union-attr]
            if qid == "consult":
                continue
            question = kb.by_id[qid]
            assert " # " in line, line
            comment = text.splitlines()[text.splitlines().index(line) - 1].strip()
            assert comment == f"# {' '.join(question.text.split())}"
    assert (
        "  age:                                  # a whole number from 0 to 120 (required)" in text
    )
    assert (
        "  sex:                                  # one of: female, male, other (required)" in text
    )
    assert "  smoker:                               # true or false\n" in text
    assert (
        "      norwood_stage:                    # a whole number from 1 to 7; asked only" in text
    )


def with_concerns() -> list[Path]:
    """The shipped scenarios that name a concern (a template is written for concerns)."""
    found = []
    for path in sorted((shipped("scenarios") or Path()).glob("*.yaml")):
        concerns = read_yaml(path.read_text())["answers"].get("concerns") or []
        if any(c in CONCERNS for c in concerns):
            found.append(path)
    return found


@pytest.mark.parametrize("path", with_concerns(), ids=str)
def test_a_template_lists_every_question_a_real_consultation_answers(path: Path) -> None:
    """The scenarios are real answer sets: each question they answer is in their template."""
    answers = read_yaml(path.read_text())["answers"]
    concerns = [c for c in answers["concerns"] if c in CONCERNS]
    sites = [a["site"] for a in answers.get("areas", []) if a.get("concerns")]
    options = [x for s in dict.fromkeys(sites) for x in ("--site", s)]
    answered = set(answers) - {"areas"}
    answered |= {q for a in answers.get("areas", []) for q in a}
    result = runner.invoke(app, ["template", *concerns, *options])
    assert result.exit_code == 0, result.output
    assert answered <= set(keys(result.stdout)), answered - set(keys(result.stdout))


def test_concerns_with_one_site_get_their_own_area() -> None:
    text = template("hair_loss", "scars")
    areas = text.split("  areas:", 1)[1]
    assert re.findall(r"- site: ?(\w*)", areas) == ["scalp", ""]
    assert re.findall(r"concerns: \[(.*?)\]", areas) == ["hair_loss", "scars"]
    assert "hair_loss_pattern:" in areas.split("- site:")[1]
    assert "scar_type:" not in areas.split("- site:")[1]
    assert "scar_type:" in areas.split("- site:")[2]


def test_each_site_given_gets_the_concerns_treatable_there() -> None:
    text = template("scars", "hair_loss", "--site", "face", "--site", "scalp")
    assert re.findall(r"- site: (\w+)\s", text) == ["face", "scalp"]
    assert re.findall(r"      concerns: \[(.*?)\]", text) == ["scars", "scars, hair_loss"]
    text = template("scars", "hair_loss", "--site", "back")  # hair loss: on the scalp only
    assert re.findall(r"- site: (\w+)\s", text) == ["back", "scalp"]
    assert re.findall(r"      concerns: \[(.*?)\]", text) == ["scars", "hair_loss"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scar"], "'scar' is not a concern of the question bank (did you mean 'scars'?)"),
        (
            ["scars", "--site", "fase"],
            "'fase' is not a site of the question bank (did you mean 'face'?)",
        ),
        (["hair_loss", "--site", "face"], "none of hair_loss can be treated at face"),
    ],
)
def test_a_concern_or_site_that_does_not_fit_is_refused(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["template", *args])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message + "\n")


def test_no_concern_is_a_usage_error() -> None:
    result = runner.invoke(app, ["template"])
    assert result.exit_code == 2
    assert "give one concern or more (or --samples)" in result.stderr


def test_the_template_is_written_owner_only_and_never_over_a_file(tmp_path: Path) -> None:
    out = tmp_path / "answers.yaml"
    assert runner.invoke(app, ["template", "scars", "-o", str(out)]).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().startswith("# consult answer file for scars: blank")
    again = runner.invoke(app, ["template", "burns", "-o", str(out)])
    assert again.exit_code == 2
    assert "exists" in again.stderr
    assert runner.invoke(app, ["template", "burns", "-o", str(out), "--force"]).exit_code == 0


# ---- the example ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "concerns",
    [[c] for c in CONCERNS] + [list(p) for p in itertools.combinations(CONCERNS[:6], 2)],
    ids=lambda c: "+".join(c),
)
def test_an_example_reads_without_a_warning_and_is_evaluated(
    kb: KnowledgeBase, concerns: list[str]
) -> None:
    text = template(*concerns, *sites_for(concerns), "--example")
    assert "EXAMPLE (not a patient)" in text.splitlines()[0]
    checked = read_answers(kb, text, "example.yaml")
    assert checked.warnings == ()
    assert checked.answers["concerns"] == tuple(concerns)
    assert {"age", "sex", "consent"} <= checked.answers.keys()
    result = runner.invoke(app, ["evaluate", "-", "-f", "json"], input=text)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert json.loads(result.stdout)["areas"]


def test_an_example_for_one_samples_concern_has_that_samples_answers(kb: KnowledgeBase) -> None:
    sample = read_file(kb, Path(consult.__file__).parent / "samples" / "hair-loss-male.yaml")
    example = read_answers(kb, template("hair_loss", "--example"), "example.yaml")
    assert {k: v for k, v in example.answers.items() if k != "areas"} == {
        k: v for k, v in sample.answers.items() if k != "areas"
    }
    mine, theirs = example.answers["areas"], sample.answers["areas"]
    assert isinstance(mine, Items) and isinstance(theirs, Items)
    assert [dict(i) for i in mine.items] == [dict(i) for i in theirs.items]


# ---- the samples ----------------------------------------------------------------------


def test_samples_are_listed_by_path() -> None:
    listed = template("--samples").splitlines()
    assert listed == [str(p) for p in samples()]
    assert len(listed) >= 9
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in listed)


@pytest.mark.parametrize("path", samples(), ids=lambda p: p.name)
def test_every_sample_is_a_clean_answer_file_with_areas(kb: KnowledgeBase, path: Path) -> None:
    checked = read_file(kb, path)
    assert checked.warnings == ()
    assert checked.patient_ref.startswith("SAMPLE-")
    areas = checked.answers["areas"]
    assert isinstance(areas, Items)
    assert all(dict(item).get("concerns") for item in areas.items)
    result = runner.invoke(app, ["evaluate", str(path), "-f", "json"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout)["candidates"]


def test_samples_cover_every_concern(kb: KnowledgeBase) -> None:
    covered = {c for p in samples() for c in read_file(kb, p).answers["concerns"]}  # type: ignore[union-attr]
    facial = {"wrinkles", "skin_laxity", "skin_texture"}  # one section of details for all three
    assert set(CONCERNS) - covered <= facial - {"wrinkles"}
