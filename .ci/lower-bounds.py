"""Print a pip constraints file pinning every runtime dependency to its lower bound.

`.ci/run` installs the project once with the newest versions the registry serves
and once with these pins, so every lower bound in pyproject.toml is one that the
test suite has passed on.
"""

import re
import sys
import tomllib
from pathlib import Path

pyproject = tomllib.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml").read_text())
# The runtime dependencies, and the optional ones users install for a feature
# (`consult-regen[fhir]`); the dev and bench tools are not part of what users run.
RUNTIME_EXTRAS = ("fhir",)
requirements = list(pyproject["project"]["dependencies"])
for extra in RUNTIME_EXTRAS:
    requirements += pyproject["project"]["optional-dependencies"].get(extra, [])
missing = []
for requirement in requirements:
    name = re.match(r"[A-Za-z0-9_.\-]+", requirement)
    lower = re.search(r">=\s*([0-9][^,;\s]*)", requirement)
    if not name or not lower:
        missing.append(requirement)
        continue
    print(f"{name.group(0)}=={lower.group(1)}")
if missing:
    sys.exit(f"no lower bound in: {', '.join(missing)}")
