"""Prove that this working tree's consult writes what a reference build writes, byte for byte.

    python bench/compare_base.py [--base REV] [--base-consult PATH] [--files N]

Generates three corpora into a temporary folder (`corpus`): the `answers:` of
every scenario test, clinic-like consultations (complete and incomplete) and a
fuzz corpus of damaged files (YAML, JSON and JSON Lines). Then runs the
reference consult and this tree's consult (the one beside the running
interpreter) on the same inputs, from the same folder, and compares stdout,
stderr, exit status and any file written: `evaluate DIR` in every output
format with one and two jobs, JSON Lines input, single files (their own exit
status), stdin, and `export`. One line per comparison; exit 1 on any difference.

The reference is built once per commit (`git worktree add` and `pip install`
into a folder under the system's temporary folder) and reused by later runs.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import corpus

from consult.bank.model import KnowledgeBase

REPO = Path(__file__).resolve().parent.parent
BASE = "2c42052"
CORPORA = (
    "scenarios",
    "clinic-complete",
    "clinic-incomplete",
    "flat-complete",
    "flat-incomplete",
    "fuzz",
)
# (format, jobs) of each folder run: every format, each number of jobs twice (the
# pool frames JSON arrays, lines and rows); --full runs every format with both.
FORMATS = ("jsonl", "json", "csv", "table")
QUICK = (("jsonl", 1), ("json", 2), ("csv", 1), ("table", 2))
FULL = tuple((f, j) for f in FORMATS for j in (1, 2))
DATE = "2026-01-01"
STDIN = 4  # single files also fed through stdin
EXPORTS = 8  # single files also exported as summaries
CHUNK = 250  # items per generation task
HEAD, WINDOW = 60, 120  # bytes of a differing line shown: its start, and around the change


@dataclass(frozen=True)
class Check:
    """One command run by both builds: its arguments, stdin and the file it writes."""

    name: str
    args: tuple[str, ...]
    expect: tuple[int, ...]  # the exit statuses that show the command did its work
    stdin: str = ""  # an input file (relative to the corpus folder) fed to stdin
    writes: str = ""  # a file the command writes ...
    folder: str = ""  # ... in this folder of its own, one per build


@dataclass(frozen=True)
class Outcome:
    """What one build did: exit status, stdout, stderr and the file written (if any)."""

    status: int
    stdout: bytes
    stderr: bytes
    seconds: float
    written: bytes | None = None
    mode: int | None = None

    def parts(self) -> dict[str, bytes | int | None]:
        """Each thing compared, by name."""
        return {
            "exit status": self.status,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "written file": self.written,
            "written file's mode": self.mode,
        }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; 0 when every output is the same, 1 otherwise."""
    args = _parser().parse_args(argv)
    started = time.monotonic()
    work = Path(sys.executable).parent / "consult"
    if not work.exists():
        print(f"no consult beside {sys.executable}: install this tree there", file=sys.stderr)
        return 2
    if args.keep is not None and args.keep.exists():
        print(f"{args.keep}: already exists (--keep makes a new folder)", file=sys.stderr)
        return 2
    found = shutil.which(args.base_consult) if args.base_consult else str(build_base(args.base))
    if found is None:
        print(f"{args.base_consult}: no such command", file=sys.stderr)
        return 2
    base = Path(found).absolute()
    print(f"reference:    {base} ({args.base_consult or args.base})")
    print(f"working tree: {work}")
    with _folder(args.keep) as root:
        sizes = generate(root / "in", args.files, args.fuzz, args.jsonl)
        print("corpora:      " + ", ".join(f"{n} {c:,}" for n, c in sizes.items()))
        print(f"generated in {time.monotonic() - started:.1f} s")
        checks = plan(root / "in", args.full, args.singles)
        different = run(checks, base, work, root, args.keep is not None)
    spent = f"{time.monotonic() - started:.0f} s, {_cpu():.0f} s of CPU"
    if different:
        print(f"{different} of {len(checks)} comparisons DIFFERENT ({spent})")
        return 1
    print(f"all {len(checks)} comparisons the same, byte for byte ({spent})")
    return 0


def _cpu() -> float:
    """CPU time of this process and every process it waited for."""
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=BASE, help=f"reference commit (default {BASE})")
    parser.add_argument("--base-consult", help="a reference consult command (no build)")
    parser.add_argument("--files", type=int, default=2000, help="clinic files per variant")
    parser.add_argument("--fuzz", type=int, default=3000, help="fuzz files")
    parser.add_argument("--jsonl", type=int, default=20, help="JSON Lines files (50 lines)")
    parser.add_argument("--singles", type=int, default=20, help="files evaluated alone")
    parser.add_argument("--full", action="store_true", help="every format with 1 and 2 jobs")
    parser.add_argument("--keep", type=Path, help="a new folder to keep corpora and diffs in")
    return parser


@contextlib.contextmanager
def _folder(keep: Path | None) -> Iterator[Path]:
    """The folder for corpora and outputs: `keep` (made, left in place) or a temporary one."""
    if keep is not None:
        keep.mkdir(parents=True)  # never one that exists: nothing of the user's is touched
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="consult-compare-") as tmp:
        yield Path(tmp)


# The reference build.


def build_base(rev: str) -> Path:
    """The consult command of `rev`, built on first use into a cache folder and reused."""
    sha = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    cache = Path(tempfile.gettempdir()) / "consult-compare-base" / sha[:12]
    consult = cache / "venv" / "bin" / "consult"
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time
        if not (cache / "installed").exists():
            _build(sha, cache)
    return consult


def _build(sha: str, cache: Path) -> None:
    print(f"building the reference {sha[:12]} in {cache} (once)", file=sys.stderr)
    src, venv = cache / "src", cache / "venv"
    if not (src / ".git").exists():
        _git("worktree", "prune")
        shutil.rmtree(src, ignore_errors=True)
        _git("worktree", "add", "--detach", str(src), sha)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(src)]
    subprocess.run(pip, check=True)
    (cache / "installed").write_text(sha + "\n")


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


# The corpora.


def generate(folder: Path, files: int, fuzz: int, jsonl: int) -> dict[str, int]:
    """Write the corpora into `folder`, in parallel chunks; returns the count of each."""
    scenarios = corpus.scenario_files(REPO / "tests" / "scenarios")
    corpus.write_files(folder / "scenarios", scenarios)
    tasks = [("clinic", s, min(CHUNK, files - s)) for s in range(0, files, CHUNK)]
    tasks += [("fuzz", s, min(CHUNK, fuzz - s)) for s in range(0, fuzz, CHUNK)]
    tasks += [("jsonl", s, min(5, jsonl - s)) for s in range(0, jsonl, 5)]
    with ProcessPoolExecutor(os.cpu_count() or 2) as pool:
        for future in [pool.submit(_generate, folder, *task) for task in tasks]:
            future.result()
    return {
        "scenarios": len(scenarios),
        "clinic-complete": files,
        "clinic-incomplete": files,
        "flat-complete": files,
        "flat-incomplete": files,
        "fuzz": fuzz,
        f"jsonl ({corpus.JSONL_LINES} lines each)": jsonl,
    }


_KB: list[KnowledgeBase] = []


def _generate(folder: Path, what: str, start: int, count: int) -> None:
    """One chunk of one corpus, written (in a worker process)."""
    if not _KB:
        import consult

        _KB.append(consult.load())
    kb = _KB[0]
    if what == "clinic":
        complete, incomplete = corpus.clinic_files(kb, count, start=start)
        corpus.write_files(folder / "clinic-complete", complete)
        corpus.write_files(folder / "clinic-incomplete", incomplete)
        complete, incomplete = corpus.flat_files(kb, count, start=start)
        corpus.write_files(folder / "flat-complete", complete)
        corpus.write_files(folder / "flat-incomplete", incomplete)
    elif what == "fuzz":
        corpus.write_files(folder / "fuzz", corpus.fuzz_files(kb, count, start=start))
    else:
        corpus.write_files(folder / "jsonl", corpus.jsonl_files(kb, count, start=start))


# The comparisons.


def plan(folder: Path, full: bool, singles: int) -> list[Check]:
    """Every command to run on both builds, paths relative to the corpus folder."""
    runs = FULL if full else QUICK
    checks = []
    for name in CORPORA:
        status = (1,) if name == "fuzz" else (0,)  # every clinic file and scenario is good
        for fmt, jobs in runs:
            checks.append(_check(status, "evaluate", name, "--format", fmt, "--jobs", str(jobs)))
    jsonl = ("evaluate", "--input-format", "jsonl", "jsonl")
    checks += [_check((1,), *jsonl, "--format", f, "--jobs", str(j)) for f, j in runs]
    sample = _sample(folder, singles)  # a file named alone: 0, or 2 when it is unusable
    checks += [_check((0, 2), "evaluate", path, "--format", "json") for path in sample]
    for path in sample[:: max(1, len(sample) // STDIN)]:
        name = f"evaluate - --format json < {path}"
        checks.append(Check(name, ("evaluate", "-", "--format", "json"), (0, 2), stdin=path))
    for n, path in enumerate(sample[1 :: max(1, len(sample) // EXPORTS)]):
        args = ("export", f"../../../in/{path}", "-o", "summary.md", "--date", DATE)
        checks.append(Check(" ".join(args), args, (0, 2), writes="summary.md", folder=f"e{n}"))
    return checks


def _check(expect: tuple[int, ...], *args: str) -> Check:
    return Check(" ".join(args), args, expect)


def _sample(folder: Path, count: int) -> list[str]:
    """Files to run alone: two of each clinic variant and of the scenarios, then damages in turn."""
    picked = []
    for name in ("scenarios", "clinic-complete", "clinic-incomplete"):
        names = sorted(p.name for p in (folder / name).iterdir())
        picked += [f"{name}/{names[0]}", f"{name}/{names[len(names) // 2]}"]
    first: dict[str, str] = {}  # the first file of each kind of damage
    for path in sorted((folder / "fuzz").iterdir()):
        first.setdefault(path.name.split("-", 1)[1].rsplit(".", 1)[0], f"fuzz/{path.name}")
    kinds = list(first.values())
    wanted = min(max(0, count - len(picked)), len(kinds))  # spread over the kinds
    picked += [kinds[i * len(kinds) // wanted] for i in range(wanted)]
    return picked[:count]


def run(checks: list[Check], base: Path, work: Path, root: Path, keep: bool) -> int:
    """Run each check on both builds, as many commands at once as there are cores.

    Prints one line per check, in order; returns how many failed: outputs that
    differ, or a reference exit status that shows the command did not do its work.
    """
    failed = 0
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        started = [
            (
                check,
                _start(pool, base, check, root, "base"),
                _start(pool, work, check, root, "work"),
            )
            for check in checks
        ]
        while started:  # the outputs of each check are let go once it is reported
            check, theirs, ours = started.pop(0)
            reference, working = theirs.result(), ours.result()
            word, problems = verdict(check, reference, working)
            seconds = max(reference.seconds, working.seconds)
            out = reference.stdout if reference.written is None else reference.written
            size = f"{len(out):,} B"
            print(f"{word:9} {seconds:5.1f} s  exit {reference.status}  {size:>12}  {check.name}")
            for line in problems:
                print("    " + line)
            if problems and "--format jsonl" in check.name:
                print("    records: " + by_record(reference.stdout, working.stdout))
            sys.stdout.flush()
            if problems and keep:
                _save(root / "different" / check.name.replace("/", "_"), reference, working)
            failed += bool(problems)
    return failed


def verdict(check: Check, reference: Outcome, working: Outcome) -> tuple[str, list[str]]:
    """`same`, `DIFFERENT`, or `UNUSABLE` (the same, but not what the command should do)."""
    problems = compare(reference, working)
    if problems:
        return "DIFFERENT", problems
    if reference.status not in check.expect:
        return "UNUSABLE", [f"exit status {reference.status}, expected one of {check.expect}"]
    return "same", []


def _start(pool: Executor, consult: Path, check: Check, root: Path, side: str) -> Future[Outcome]:
    return pool.submit(_run_one, consult, check, root, side)


def _run_one(consult: Path, check: Check, root: Path, side: str) -> Outcome:
    """Run one command in the corpus folder, or in a folder of its own when it writes a file."""
    cwd = root / "in"
    if check.writes:
        cwd = root / "out" / side / check.folder  # a folder of its own: checks run at once
        cwd.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULT_")}
    stdin = (root / "in" / check.stdin).read_bytes() if check.stdin else b""
    command = [str(consult), *check.args]
    started = time.monotonic()
    done = subprocess.run(command, check=False, cwd=cwd, env=env, input=stdin, capture_output=True)
    seconds = time.monotonic() - started
    written = cwd / check.writes if check.writes else None
    if written is None or not written.exists():
        return Outcome(done.returncode, done.stdout, done.stderr, seconds)
    data, mode = written.read_bytes(), written.stat().st_mode & 0o777
    return Outcome(done.returncode, done.stdout, done.stderr, seconds, data, mode)


def compare(theirs: Outcome, ours: Outcome) -> list[str]:
    """What differs between two outcomes: for each part, where it first differs."""
    found = []
    ours_parts = ours.parts()
    for part, a in theirs.parts().items():
        b = ours_parts[part]
        if a == b:
            continue
        if isinstance(a, bytes) and isinstance(b, bytes):
            found.append(f"{part}: " + first_difference(a, b))
        else:
            found.append(f"{part}: reference {_brief(a)}, working tree {_brief(b)}")
    return found


# Keys the working tree adds to a result (treatment areas): not a change of decision.
NEW_KEYS = frozenset({"areas", "actions", "area", "settled", "in_scope"})


def by_record(theirs: bytes, ours: bytes) -> str:
    """How the JSON Lines records of two runs differ, counted by kind."""
    counts: dict[str, int] = {}
    for a, b in zip(theirs.splitlines(), ours.splitlines(), strict=False):
        kind = _record_kind(json.loads(a), json.loads(b)) if a != b else "same"
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _record_kind(a: dict[str, Any], b: dict[str, Any]) -> str:
    if "error" in a and "error" not in b:
        return "refused by the reference only"
    if "error" in b and "error" not in a:
        return "refused by the working tree only"
    if "error" in a:
        return "both refused, other message"
    ra, rb = a["result"], b["result"]
    if _decision(ra) != _decision(rb):
        return "decision differs"
    ra, rb = _without(ra, NEW_KEYS), _without(rb, NEW_KEYS)
    differ = [k for k in ra if k != "knowledge_base" and ra[k] != rb.get(k)]
    if not differ:
        return "same decision, only new keys and the bank's version differ"
    return "same decision, other " + "+".join(differ)


def _decision(result: dict[str, Any]) -> tuple[Any, ...]:
    """The procedure and referral ids of each outcome."""
    kinds = ("candidates", "excluded", "undetermined")
    ids = tuple(sorted(x["procedure"] for x in result.get(k, [])) for k in kinds)
    return (*ids, sorted(r["id"] for r in result.get("referrals", [])))


def _without(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


def _brief(value: bytes | int | None) -> str:
    if value is None:
        return "none"
    if isinstance(value, bytes):
        return f"{len(value):,} bytes"
    return str(value)


def first_difference(a: bytes, b: bytes) -> str:
    """The first line that differs, as each side has it: its start and the bytes around the change.

    Never the whole line: a line of output can hold a whole answer set.
    """
    lines_a, lines_b = a.splitlines(keepends=True), b.splitlines(keepends=True)
    pairs = zip(lines_a, lines_b, strict=False)
    index = next((i for i, (x, y) in enumerate(pairs) if x != y), min(len(lines_a), len(lines_b)))
    line_a = lines_a[index] if index < len(lines_a) else None
    line_b = lines_b[index] if index < len(lines_b) else None
    column = _common_prefix(line_a or b"", line_b or b"")
    return (
        f"line {index + 1}, column {column + 1}:\n"
        f"        reference:    {_show(line_a, column)}\n"
        f"        working tree: {_show(line_b, column)}"
    )


def _common_prefix(a: bytes, b: bytes) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def _show(line: bytes | None, column: int) -> str:
    """The line's start (in a record, the file it is about) and a window around `column`."""
    if line is None:
        return "(no such line: the output ends before it)"
    if len(line) <= HEAD + WINDOW:
        return repr(line)
    start = max(HEAD, column - WINDOW // 3)
    window = line[start : start + WINDOW]
    more = "..." if start + WINDOW < len(line) else ""
    gap = "..." if start > HEAD else ""
    return f"{line[:HEAD]!r}{gap}{window!r}{more}"


def _save(folder: Path, theirs: Outcome, ours: Outcome) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for side, outcome in (("reference", theirs), ("work", ours)):
        (folder / f"{side}.stdout").write_bytes(outcome.stdout)
        (folder / f"{side}.stderr").write_bytes(outcome.stderr)
        if outcome.written is not None:
            (folder / f"{side}.written").write_bytes(outcome.written)


if __name__ == "__main__":
    sys.exit(main())
