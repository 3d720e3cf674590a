"""The engine stage: an answer set checked and decided, pure (no I/O, no terminal).

Owns: checking one value (`values`) and whole answer sets and files (`answers`,
with the treatment-area items in `items`), the decision and the `Result` it
builds (`decide`, `result`), the exact check of outcomes left open by
three-valued logic (`decideopen`, `settle`, `ruleindex`), the site screen of
each procedure over its treatment areas (`areas`), the bank's scenario tests
(`scenarios`), explanations of outcomes (`explain`, `whynot`), and the JSON
Schemas of the file kinds (`fileschema`).

May import: `consult.errors` and `consult.bank`.
"""
