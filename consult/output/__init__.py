"""The output stage: a result shown or written, for people and for programs.

Owns: the plan per treatment area as the views show it (`plan`), the terminal
view (`terminal`), the markdown consultation summary (`markdown`), the
`consult explain` view (`explanation`) and owner-only atomic file writing
(`files`).

May import: `consult.errors`, `consult.bank` and `consult.engine`.
"""
