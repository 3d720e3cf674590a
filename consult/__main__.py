"""Entry point: `consult` and `python -m consult`."""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line; `--version` answers before any import."""
    if sys.argv[1:] == ["--version"]:
        from consult import __version__

        try:
            sys.stdout.write(f"consult {__version__}\n")
            sys.stdout.flush()
        except OSError as exc:  # `> /dev/full`: one line, as every command does
            from consult.cli.main import output_lost

            output_lost(exc)
        return
    from consult.cli.main import run

    run()


if __name__ == "__main__":
    main()
