"""HL7 FHIR R4: the bank, the answers and the result as FHIR resources, and responses read back.

The bank is written as a Questionnaire, answers as a QuestionnaireResponse, a
result as a GuidanceResponse; a QuestionnaireResponse is read as an answer set.

Stands beside `output`: imports `errors`, `bank` and `engine`, never `output`, and is imported
by `batch` (reading responses) and `cli` (the `consult fhir` commands). The resources are built
as plain JSON data; `validate` checks them with the `fhir.resources` models, which are imported
only there (the optional `fhir` extra), never at start-up.
"""
