"""The intake stage: a consultation at the terminal, one question at a time.

Owns: the loop that walks the bank, back and review (`flow`), starting, resuming
and saving a consultation (`session`), the treatment areas added, edited and
removed (`areas`), the prompts built on questionary and prompt_toolkit
(`widgets` for each question type, `prompts` for the `Asker`: the only two
modules that import them), their plain-text layout for the terminal's width
(`layout`) and the autosaved drafts (`draft`).

May import: `consult.errors`, `consult.bank`, `consult.engine` and `consult.output`;
never `consult.batch`.
"""
