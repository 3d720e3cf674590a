"""The answers stage: bytes or data in, a checked answer set out.

Owns: reading an answer set from any of its forms (a YAML or JSON answer file,
a JSONL line, a FHIR QuestionnaireResponse, the `answers` of a scenario file)
in one path (`read`), and checking it against the bank (`check`: the document,
`values`: one value, `groups`: the items of a repeating group such as the
treatment areas; `fhir`: a QuestionnaireResponse's items). Every message is
located at `file:line:col`.

May import: `consult.errors` and `consult.bank`. The engine, the intake, the
batch and the FHIR writers build on it.
"""
