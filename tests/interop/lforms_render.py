"""Does a real renderer accept what `consult fhir` writes? LHC-Forms in headless Chromium.

Installs `lforms` and `playwright-core` from npm into a cache folder (created if
missing), exports the bank with `consult fhir questionnaire`, and in headless
Chromium (/usr/bin/chromium, or --chromium):

1. renders the Questionnaire with its conditions taken out and checks that every
   item (groups, questions, help) is on the page with its text;
2. loads each scenario's answers as a QuestionnaireResponse into the form, takes
   the form's own QuestionnaireResponse back (`LForms.Util.getFormFHIRData`) and
   checks that `consult evaluate` gives the same result JSON as the answer file;
3. fills a few scenarios in through the form's widgets, as a person would, and
   checks the same;

and, for 2 and 3, that the items the form shows are those consult asks: every
question that applies is shown, and none that is switched off. Last, the same for
a test bank whose condition needs the FHIRPath enableWhenExpression.

Exit status: 0 all checks passed, 1 a check failed, 3 cannot run here (no
Chromium, node or npm); the output says which.

    python tests/interop/lforms_render.py [--cache DIR] [--chromium PATH] [--quick]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

import consult
from consult.answers.check import check_mapping
from consult.bank.model import KnowledgeBase, choice_coding, plain_answer
from consult.bank.truth import applicability
from consult.fhir.response import response

HERE = Path(__file__).parent
SCENARIOS = HERE.parent / "scenarios"
NPM_PACKAGES = ("lforms@40.1.3", "playwright-core@1.65.1")
FILLED = ("hair-male-pattern-clean", "safety-no-consent", "fat-submental-minor")
QUICK = (
    "areas-scalp-folliculitis-face-clear",
    "areas-three-sites-keloid-on-back",
    "areas-flat-active-keloid-face-clear",
)
AUTHORED = "2026-11-02T09:30:00+01:00"
SITE = "Which area would be treated?"  # the site's text: required only in an area there is
# Answers under a condition that reads an unanswered question, which consult asks and
# keeps: loaded into the form and taken back, nothing may be lost (`unknown`).
UNDER_UNKNOWN = {
    "burn-details-status-unanswered": {
        "consent": True,
        "age": 40,
        "concerns": ["burns"],
        "burn_depth": "partial_thickness",
        "burn_tbsa_percent": 12,
        "burn_special_areas": ["hands"],
        "burn_special_mechanism": ["none"],
        "burn_complicating_factors": False,
    },
    "norwood-pattern-and-sex-unanswered": {
        "consent": True,
        "age": 40,
        "concerns": ["hair_loss"],
        "norwood_stage": 3,
    },
    "area-burn-details-status-unanswered": {
        "consent": True,
        "age": 40,
        "sex": "male",
        "concerns": ["burns", "scars"],
        "areas": [
            {"site": "arms", "concerns": ["burns"], "burn_depth": "full_thickness"},
            {"site": "face", "concerns": ["scars"], "scar_type": "surgical"},
        ],
    },
}
CONSULT = [sys.executable, "-m", "consult"]
CANNOT_RUN = 3
WHAT = {
    "merged": "loaded into the form",
    "filled": "filled in through the widgets",
    "expression": "of a condition beyond enableWhen (SDC FHIRPath) loaded into the form",
    "unknown": "with answers under an unanswered condition loaded into the form",
}
# A test bank with a condition that enableWhen cannot say: the FHIRPath fallback.
EXPRESSION_BANK = """\
sections:
  - id: more
    title: More
    questions:
      - {id: smoker, text: Smoker?, type: yes_no}
      - id: pack_years
        text: Pack-years
        type: integer
        min: 0
        max: 200
        when:
          all:
            - {question: smoker, equals: true}
            - any: [{question: age, gte: 40}, {question: concerns, contains: scars}]
"""
EXPRESSION_CASES = {
    "older-smoker": {"age": 45, "smoker": True, "concerns": ["hair_loss"]},
    "younger-smoker": {"age": 30, "smoker": True, "concerns": ["hair_loss"]},
    "younger-smoker-scars": {"age": 30, "smoker": True, "concerns": ["scars"]},
    "older-non-smoker-scars": {"age": 45, "smoker": False, "concerns": ["scars"]},
}
PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="/node_modules/lforms/dist/lforms/webcomponent/styles.css">
<script src="/node_modules/lforms/dist/lforms/webcomponent/assets/lib/zone.min.js"></script>
<script src="/node_modules/lforms/dist/lforms/webcomponent/runtime.js" type="module"></script>
<script src="/node_modules/lforms/dist/lforms/webcomponent/polyfills.js" type="module"></script>
<script src="/node_modules/lforms/dist/lforms/webcomponent/main.js" type="module"></script>
<script src="/node_modules/lforms/dist/lforms/fhir/R4/lformsFHIR.min.js" defer></script>
</head><body><div id="form"></div></body></html>
"""


def main() -> int:
    args = _arguments()
    missing = [t for t in ("node", "npm") if shutil.which(t) is None]
    if not Path(args.chromium).exists():
        missing.append(args.chromium)
    if missing:
        print(f"lforms_render: cannot run: not found: {', '.join(missing)}")
        return CANNOT_RUN
    cache = Path(args.cache)
    _install(cache)
    kb = consult.load()
    with tempfile.TemporaryDirectory(prefix="run-", dir=cache) as tmp:
        return _check(kb, cache, Path(tmp), args)


def _arguments() -> argparse.Namespace:
    default_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=str(default_cache / "consult-lforms"))
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument(
        "--quick", action="store_true", help=f"merge only {len(QUICK)} scenarios, not all"
    )
    return parser.parse_args()


def _install(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    wanted = {p.rsplit("@", 1)[0]: p.rsplit("@", 1)[1] for p in NPM_PACKAGES}
    installed = {}
    for name in wanted:
        manifest = cache / "node_modules" / name / "package.json"
        if manifest.exists():
            installed[name] = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    if installed != wanted:
        command = ["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund"]
        subprocess.run([*command, "--silent", *NPM_PACKAGES], check=True)
    print(f"npm packages in {cache}: {', '.join(NPM_PACKAGES)}")


def _check(kb: KnowledgeBase, cache: Path, work: Path, args: argparse.Namespace) -> int:
    questionnaire_file = work / "questionnaire.json"
    subprocess.run([*CONSULT, "fhir", "questionnaire", "-o", str(questionnaire_file)], check=True)
    questionnaire = json.loads(questionnaire_file.read_text(encoding="utf-8"))
    names = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    answers = {name: _scenario(kb, name) for name in {*names, *FILLED}}
    # Filled in through the widgets without adding an area, a form has no site
    # answers: the scenarios' flat site answers are left out on both sides.
    in_areas = {q.id for q in kb.questions if q.section in kb.groups}
    for name in FILLED:
        answers[name] = {k: v for k, v in answers[name].items() if k not in in_areas}
    merged = {
        n: response(kb, answers[n], authored=AUTHORED) for n in (QUICK if args.quick else names)
    }
    unknown = {n: dict(check_mapping(kb, a).answers) for n, a in UNDER_UNKNOWN.items()}
    answers.update(unknown)
    merged.update({n: response(kb, a, authored=AUTHORED) for n, a in unknown.items()})
    expected = _expected({n: answers[n] for n in {*merged, *FILLED}}, work)
    job = {
        "chromium": args.chromium,
        "profile": str(work / "profile"),
        "questionnaire": questionnaire,
        "merged": merged,
        "filled": {n: _steps(kb, questionnaire, answers[n]) for n in FILLED},
    }
    with _serve(cache) as url:
        job["page"] = f"{url}/work/page.html"
        report = _drive(cache, job)
    areas = sum(
        1 for r in merged.values() if any(i["linkId"] == "section.areas" for i in r["item"])
    )
    failures = _rendering(report, questionnaire) + _validity(report, areas)
    unknown_runs = {n: r for n, r in report["merged"].items() if n in UNDER_UNKNOWN}
    report["merged"] = {n: r for n, r in report["merged"].items() if n not in UNDER_UNKNOWN}
    for kind, runs in (("merged", report["merged"]), ("filled", report["filled"])):
        failures += _results(kb, kind, runs, answers, expected, work)
    failures += _results(kb, "unknown", unknown_runs, answers, expected, work)
    failures += _expressions(cache, work / "expression", args.chromium)
    for line in failures:
        print(f"FAIL {line}")
    print("ok" if not failures else f"{len(failures)} checks failed")
    return 1 if failures else 0


def _expressions(cache: Path, work: Path, chromium: str) -> list[str]:
    """The FHIRPath fallback: does the form switch the item on exactly when consult asks it?"""
    questions = work / "questions"
    shutil.copytree(HERE.parent / "data" / "questions", questions)
    (questions / "30-more.yaml").write_text(EXPRESSION_BANK, encoding="utf-8")
    bank = ("--questions", str(questions), "--rules", str(HERE.parent / "data" / "rules"))
    kb = consult.load(questions=bank[1], rules=bank[3])
    proc = subprocess.run(
        [*CONSULT, "fhir", "questionnaire", *bank], capture_output=True, text=True, check=True
    )
    failures = [] if "enableWhenExpression" in proc.stderr else ["no FHIRPath note on stderr"]
    questionnaire = json.loads(proc.stdout)
    answers = {n: dict(check_mapping(kb, a).answers) for n, a in EXPRESSION_CASES.items()}
    expected = _expected(answers, work, bank)
    job = {
        "chromium": chromium,
        "profile": str(work / "profile"),
        "questionnaire": questionnaire,
        "merged": {n: response(kb, a, authored=AUTHORED) for n, a in answers.items()},
        "filled": {},
    }
    with _serve(cache) as url:
        job["page"] = f"{url}/work/page.html"
        report = _drive(cache, job, quiet=True)
    runs = report["merged"]
    shown = sorted(n for n, run in runs.items() if "pack_years" in run["shown"])
    print(f"expression: pack_years shown for {', '.join(shown)}")
    return failures + _results(kb, "expression", runs, answers, expected, work, bank)


def _scenario(kb: KnowledgeBase, name: str) -> dict[str, Any]:
    doc = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
    return dict(check_mapping(kb, doc["answers"] or {}).answers)


def _expected(
    answers: dict[str, dict[str, Any]], work: Path, bank: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The result of each scenario's answer file, by `consult evaluate`."""
    folder = work / "answers"
    folder.mkdir()
    for name, values in answers.items():
        doc = {"consult": 1, "answers": {k: _plain(v) for k, v in values.items()}}
        (folder / f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")
    return _evaluate(folder, bank)


def _plain(value: Any) -> Any:
    return plain_answer(value)


def _evaluate(folder: Path, bank: tuple[str, ...] = ()) -> dict[str, Any]:
    proc = subprocess.run(
        [*CONSULT, "evaluate", str(folder), "--format", "jsonl", *bank],
        capture_output=True,
        text=True,
        check=False,
    )
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    found = {}
    for record in records:
        found[Path(record["file"]).stem] = record.get("result", record.get("error"))
    return found


def _steps(kb: KnowledgeBase, questionnaire: dict[str, Any], answers: dict[str, Any]) -> list:
    """What a person does to enter these answers: [linkId, item type, values] in form order."""
    types = {i["linkId"]: i["type"] for i in _walk(questionnaire["item"])}
    steps = []
    for question in kb.questions:
        if question.id not in answers:
            continue
        value = answers[question.id]
        values = value if isinstance(value, tuple) else (value,)
        if question.choices:  # as the form shows them: the coding's display
            options = {
                o["valueCoding"]["code"]: o["valueCoding"]["display"]
                for o in _options(questionnaire, question.id)
            }
            codes = [choice_coding(question, question.choice(v))[1] for v in values]  # type: ignore[arg-type]
            values = tuple(options[c] for c in codes)
        elif isinstance(value, bool):
            values = ("true" if value else "false",)
        steps.append([question.id, types[question.id], list(values)])
    return steps


def _options(questionnaire: dict[str, Any], link: str) -> list[dict[str, Any]]:
    (item,) = [i for i in _walk(questionnaire["item"]) if i["linkId"] == link]
    return list(item["answerOption"])


def _validity(report: dict[str, Any], with_areas: int) -> list[str]:
    """A form with no treatment area, or with areas, is not held back by the area's site."""
    failures = []
    runs = {"empty form": report["empty_validity"]}
    runs |= {n: r["validity"] for n, r in report["merged"].items()}
    for name, errors in runs.items():
        failures += [f"{name}: LHC-Forms refuses it: {e}" for e in errors or [] if SITE in e]
    held = len({f.split(":")[0] for f in failures})
    print(
        f"validity: {len(runs)} forms (with areas: {with_areas}, one empty); "
        f"held back by the site of an area: {held}"
    )
    return failures


def _walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        found.append(item)
        found.extend(_walk(item.get("item", [])))
    return found


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _serve:
    """Serves the cache folder on a free local port while the browser runs."""

    def __init__(self, root: Path) -> None:
        (root / "work").mkdir(exist_ok=True)
        (root / "work" / "page.html").write_text(PAGE, encoding="utf-8")
        handler = functools.partial(_Quiet, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _drive(cache: Path, job: dict[str, Any], *, quiet: bool = False) -> dict[str, Any]:
    # The driver is run from the cache, where node finds playwright-core.
    driver = cache / "work" / "lforms_driver.mjs"
    shutil.copyfile(HERE / "lforms_driver.mjs", driver)
    job_file = cache / "work" / "job.json"
    job_file.write_text(json.dumps(job), encoding="utf-8")
    proc = subprocess.run(
        ["node", str(driver), str(job_file)], capture_output=True, text=True, check=False
    )
    job_file.unlink()
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit("lforms_render: the browser driver failed")
    report: dict[str, Any] = json.loads(proc.stdout)
    if not quiet:
        print(f"LHC-Forms {report['version']} in {_chromium_version(job['chromium'])}")
    return report


def _chromium_version(path: str) -> str:
    proc = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or path


def _rendering(report: dict[str, Any], questionnaire: dict[str, Any]) -> list[str]:
    failures = [f"page error: {e}" for e in report["errors"]]
    items = _walk(questionnaire["item"])
    shown = report["all_items"]
    for item in items:
        got = shown[item["linkId"]]
        if not got["shown"]:
            failures.append(f"item {item['linkId']!r} ({item['type']}) is not rendered")
        elif item["type"] != "display" and _words(item["text"]) not in _words(got["label"]):
            failures.append(f"item {item['linkId']!r}: label {got['label'][:60]!r}")
    kinds: dict[str, int] = {}
    for item in items:
        kinds[item["type"]] = kinds.get(item["type"], 0) + 1
    count = sum(1 for item in items if shown[item["linkId"]]["shown"])
    detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(f"rendered {count} of {len(items)} items ({detail}), each with its text")
    return failures


def _words(text: str) -> str:
    return " ".join(text.split())


def _results(
    kb: KnowledgeBase,
    kind: str,
    runs: dict[str, Any],
    answers: dict[str, dict[str, Any]],
    expected: dict[str, Any],
    work: Path,
    bank: tuple[str, ...] = (),
) -> list[str]:
    folder = work / kind
    folder.mkdir()
    for name, run in runs.items():
        (folder / f"{name}.json").write_text(json.dumps(run["response"]), encoding="utf-8")
    got = _evaluate(folder, bank)
    failures = []
    for name, run in runs.items():
        if got.get(name) != expected[name]:
            kept = work.parent / "failed" / f"{kind}-{name}.json"
            kept.parent.mkdir(exist_ok=True)
            shutil.copyfile(folder / f"{name}.json", kept)
            failures.append(f"{kind} {name}: consult evaluate gives another result (see {kept})")
        failures.extend(f"{kind} {name}: {p}" for p in _shown(kb, answers[name], run["shown"]))
    same = len(runs) - len({f.split(":")[0] for f in failures})
    what = WHAT[kind]
    print(
        f"{kind}: {len(runs)} scenarios {what}; the form's QuestionnaireResponse read back by "
        f"consult evaluate gives the answer file's result, with the items consult asks shown: "
        f"{same} of {len(runs)}"
    )
    return failures


def _shown(kb: KnowledgeBase, answers: dict[str, Any], shown: list[str]) -> list[str]:
    """Questions consult asks but the form hides, or the form shows but consult switches off."""
    applies = applicability(kb, answers)
    visible = set(shown)
    problems = []
    for question in kb.questions:
        # An `always_read` question has no enableWhen (docs/fhir.md): the form asks it always.
        truth = True if question.always_read else applies(question.id)
        if question.section in kb.groups:
            continue  # asked in each area (linkId `area.<id>`)
        if truth is not False and question.id not in visible:
            state = "applies" if truth else "is unknown, so asked,"
            problems.append(f"{question.id!r} {state} but is not shown")
        if truth is False and question.id in visible:
            problems.append(f"{question.id!r} is switched off but shown")
    return problems


if __name__ == "__main__":
    sys.exit(main())
