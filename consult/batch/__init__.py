"""The batch stage: many answer sets evaluated without prompting, in input order.

Owns, one module each:

- `inputs`: what one input is (a file, a stdin document, a JSONL line), where
  the inputs come from (files, folders, stdin) and `read_item`, reading one
  (through `consult.answers.read`, the one reader of answer sets);
- `formats`: one input read, checked, evaluated and rendered as a record
  (JSON, CSV, table rows, markdown summaries), from the engine's `Result`;
- `signals`: stop signals held back while the pool's code runs or a write is
  made, the time limit per input, workers that die with their parent;
- `pool`: every input rendered in input order, in this process or by a
  process pool through a bounded window;
- `writers`: records to a stream (never one cut by a stop), summaries to a
  folder staged and moved in at the end;
- `run`: the `consult evaluate` command logic; `diff`: two banks compared over
  a corpus (`consult diff`).

May import: `consult.errors`, `consult.bank`, `consult.answers`,
`consult.engine` and `consult.output`; never `consult.intake`.
"""
