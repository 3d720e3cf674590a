"""The batch stage: many answer sets evaluated without prompting, in input order.

Owns: what one input is and how it is read and rendered (`items`), the fast
readers for JSON, JSONL and YAML answer sets (`reader`), the process pool
(`pool`), the output formats (`formats`), per-file outputs (`sink`) and the
`consult evaluate` / `consult export` command logic (`run`), and the
comparison of two banks over a corpus (`diff`).

May import: `consult.errors`, `consult.bank`, `consult.engine` and
`consult.output`; never `consult.intake`.
"""
