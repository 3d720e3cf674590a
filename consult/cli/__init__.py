"""The command line: the typer app, one module per command group, errors to exit codes.

Owns: the app, its shared options and the error-to-exit-status mapping (`app`),
the bank commands `validate` and `test` (`bank`), `evaluate` and `export`
(`batch`), `intake` (`intake`) and the console script (`main`). Only this stage
uses typer, `sys.exit` and the rich consoles for results.

May import every stage below it. Heavy stages are imported inside the commands so
that `--help` stays fast.
"""
