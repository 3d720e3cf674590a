"""The intake stage: a consultation at the terminal, one question at a time.

Owns: the loop that walks the bank, back and review (`flow`), the prompts built on
questionary and prompt_toolkit (`prompts`, the only place that imports them), their
plain-text layout for the terminal's width (`layout`) and the autosaved drafts
(`draft`).

May import: `consult.errors`, `consult.bank`, `consult.engine` and `consult.output`;
never `consult.batch`.
"""
