"""Checks a resource against the FHIR models of `fhir.resources` before it is written.

`fhir.resources` (the optional `fhir` extra, pydantic models of every resource) is
imported here only, when a `consult fhir` command runs. Its R4B models are used:
FHIR 4.3, the technical correction of R4 that the current releases ship (the 4.0.1
models need pydantic 1); see docs/fhir.md for what that means for R4 systems.
"""

from __future__ import annotations

import importlib
from typing import Any

from consult.errors import ConsultError, ExitStatus

MODELS = "fhir.resources.R4B"
INSTALL = "pip install 'consult-regen[fhir]'"


class FhirUnavailable(ConsultError):
    """The `fhir.resources` package is not installed."""

    status = ExitStatus.INVALID


class InvalidResource(Exception):
    """A resource consult built does not validate: a bug, reported as one; never written."""


def validate(resource: dict[str, Any]) -> None:
    """Validate a resource with the `fhir.resources` model of its resourceType.

    Raises:
        FhirUnavailable: `fhir.resources` is not installed.
        InvalidResource: the resource does not validate.
    """
    kind = str(resource["resourceType"])
    try:
        module = importlib.import_module(f"{MODELS}.{kind.lower()}")
    except ModuleNotFoundError:
        raise FhirUnavailable(
            f"the FHIR commands need the fhir.resources package: {INSTALL}"
        ) from None
    model = getattr(module, kind)
    try:
        model.model_validate(resource)
    except ValueError as exc:  # pydantic's ValidationError
        # Only the failing field's path: the rest of pydantic's message quotes the value.
        where = str(exc).splitlines()[1:2]
        raise InvalidResource(f"{kind} does not validate at {' '.join(where)}") from None
