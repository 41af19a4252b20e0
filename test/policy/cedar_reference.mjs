// The reference side of the Cedar differential test (test/policy/cedar_differential_test.cpp):
// one Node process that reads the generated cases (argv[2], JSON; argv[3] the test/peers dir), validates every bundle's
// policy set against the schema in strict mode and evaluates every request with the Cedar
// project's own evaluator (@cedar-policy/cedar-wasm), then prints a JSON report of every
// disagreement with the decisions and satisfied-policy sets our evaluator recorded.
import fs from 'node:fs';
import { createRequire } from 'node:module';

// argv[3]: the directory whose node_modules holds the pinned peer (test/peers).
const require = createRequire(`${process.argv[3]}/package.json`);
const cedar = require('@cedar-policy/cedar-wasm/nodejs');
const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const report = { cedar_version: cedar.getCedarVersion(), bundles: 0, requests: 0,
  disagreements: [], invalid: [] };
const schema = input.schema;
// Parsed once and cached inside the evaluator (the schema text would otherwise be parsed on
// every call); validation and the authorizer still see exactly the emitted text.
const preparsed = cedar.preparseSchema('omnigraph', schema);
if (preparsed.type !== 'success') throw new Error(JSON.stringify(preparsed));
for (const b of input.bundles) {
  report.bundles++;
  const policies = { staticPolicies: b.policies };
  const v = cedar.validate({ schema, policies, validationSettings: { mode: 'strict' } });
  // Errors fail; warnings (e.g. an entity id with a control character is outside Cedar's
  // identifier security profile) are counted, not failures.
  if (v.type !== 'success' || v.validationErrors.length)
    report.invalid.push({ bundle: b.name, answer: v });
  else if (v.validationWarnings.length) report.warned = (report.warned ?? 0) + 1;
  const parsed = cedar.preparsePolicySet(b.name, policies);
  if (parsed.type !== 'success') report.invalid.push({ bundle: b.name, answer: parsed });
  for (const r of b.requests) {
    report.requests++;
    const answer = cedar.statefulIsAuthorized({ principal: r.principal, action: r.action,
      resource: r.resource, context: r.context, preparsedSchemaName: 'omnigraph',
      validateRequest: true, preparsedPolicySetId: b.name, entities: b.entities });
    let allowed = null, satisfied = null, errors = null;
    if (answer.type === 'success') {
      allowed = answer.response.decision === 'allow';
      satisfied = [...answer.response.diagnostics.reason].sort();
      if (answer.response.diagnostics.errors.length) errors = answer.response.diagnostics.errors;
    } else {
      errors = answer.errors;
    }
    const same = errors === null && allowed === r.allowed &&
      JSON.stringify(satisfied) === JSON.stringify([...r.satisfied].sort());
    if (!same && report.disagreements.length < 50)
      report.disagreements.push({ bundle: b.name, request: r, reference: { allowed, satisfied, errors } });
    else if (!same) report.disagreements.push({ bundle: b.name });
  }
}
console.log(JSON.stringify(report));
