"""The engine stage: an answer set checked and decided, pure (no I/O, no terminal).

Owns: parsing and checking answers against the bank (`answers`), the decision and
the `Result` it builds (`decide`, `result`), the bank's scenario tests
(`scenarios`), explanations of outcomes (`explain`, `whynot`), and the JSON
Schemas of the file kinds (`fileschema`).

May import: `consult.errors` and `consult.bank`.
"""
