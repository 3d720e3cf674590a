"""Who the clinician is: never asked on the command line.

`CONSULT_CLINICIAN` names the clinician for one shell; otherwise the `clinician`
key of the config file (`CONSULT_CONFIG`, else `$XDG_CONFIG_HOME/consult/config.yaml`,
else `~/.config/consult/config.yaml`) names the clinician of a workstation. With
neither, the record says the clinician was not recorded and leaves the name to be
written by hand on the attestation line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

ENV = "CONSULT_CLINICIAN"
CONFIG_ENV = "CONSULT_CONFIG"
MAX_CHARS = 200


def config_path(environ: Mapping[str, str]) -> Path:
    """The config file consult reads (it need not exist)."""
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    return Path(base).expanduser() / "consult" / "config.yaml"


def clinician(environ: Mapping[str, str]) -> str:
    """The clinician's name from the environment or the config file; "" when neither names one.

    Raises:
        InputError: the config file cannot be read or its `clinician` is not a short text.
    """
    name = environ.get(ENV, "").strip()
    return _checked(name, ENV) if name else _from_config(config_path(environ))


def _from_config(path: Path) -> str:
    import yaml

    from consult.errors import InputError, display_path

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise InputError(f"{display_path(path)}: cannot read the config file: {error}") from None
    found = data.get("clinician") if isinstance(data, dict) else None
    if found is None:
        return ""
    if not isinstance(found, str):
        raise InputError(f"{display_path(path)}: 'clinician' must be a text")
    return _checked(found.strip(), f"{display_path(path)}: 'clinician'")


def _checked(name: str, where: str) -> str:
    from consult.errors import InputError

    if len(name) > MAX_CHARS or not name.isprintable():
        raise InputError(f"{where}: the clinician's name must be one line of printable text")
    return name
