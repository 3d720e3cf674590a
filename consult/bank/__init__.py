"""The bank stage: the question bank and rules, from YAML files to a checked model.

Owns: reading YAML with positions (`yamlsource`) and the fast subset reader for
answer files (`quickyaml`), the mapping-shape checks (`schema`), question and rule
reading (`loader`, `rules`), the model records (`model`), the condition language
(`conditions`), its three-valued evaluation (`truth`) and its compilation to
Python (`codegen`).

May import: `consult.errors` only. Every other stage builds on this one.
"""
