import { ContractError, formatIssue, parseContract, parseGoldContract } from '../../lambdas/shared/contracts';
import { mutate } from '../fixtures/contract-text';

const FILE = 'contracts/clicks.yaml';

/** The formatted issues a parse throws. */
function issuesOf(parse: (text: string, file: string) => unknown, text: string): string[] {
  const thrown = ((): unknown => {
    try {
      parse(text, FILE);
      return undefined;
    } catch (e) {
      return e;
    }
  })();
  expect(thrown).toBeInstanceOf(ContractError);
  return (thrown as ContractError).issues.map(formatIssue);
}

/** One problem for each step of the parse: source settings, a property, source paths, dataset quality, event time, SLA. */
function contractWithAProblemPerStep(): string {
  let text = mutate('        value: ndjson\n', '        value: ndjson\n      - property: csvOptions\n        value: {delimiter: ";"}\n');
  text = mutate('        value: day\n', '        value: user_id\n', text);
  text = mutate('    properties:\n', '    quality:\n      - metric: nullValues\n        mustBe: 0\n    properties:\n', text);
  text = mutate(
    '            value: event.target\n',
    '            value: event.target\n      - name: Target2\n        logicalType: string\n        physicalType: string\n'
      + '      - name: target_copy\n        logicalType: string\n        physicalType: string\n'
      + '        customProperties:\n          - property: sourcePath\n            value: event.target\n',
    text,
  );
  return `${text}slaProperties:\n  - property: latency\n    value: 1\n    unit: h\n`;
}

describe('the issues of every step come in one fixed order', () => {
  it('a source contract: source settings, properties, source paths, dataset quality, event time, SLA', () => {
    expect(issuesOf(parseContract, contractWithAProblemPerStep())).toEqual([
      'contracts/clicks.yaml:13:16 at /schema/0/customProperties/1/value: csvOptions given for a ndjson source (fix: remove csvOptions)',
      "contracts/clicks.yaml:34:15 at /schema/0/properties/3/name: property name 'Target2' is not a valid column name (fix: use lower case letters, digits and _, starting with a letter (at most 63))",
      "contracts/clicks.yaml:37:9 at /schema/0/properties/4: properties 'target' and 'target_copy' read the same source field 'event.target' (fix: give each property its own sourcePath)",
      "contracts/clicks.yaml:17:17 at /schema/0/quality/0/metric: metric 'nullValues' applies to a column (fix: move the rule under that property)",
      "contracts/clicks.yaml:15:16 at /schema/0/customProperties/2/value: eventTimeColumn 'user_id' is integer, not a date or timestamp",
      "contracts/clicks.yaml:44:15 at /slaProperties/0/property: SLA property 'latency' is not supported (fix: use freshness or retention)",
    ]);
  });

  it('a Gold contract runs no source step: its source settings are unknown custom properties', () => {
    expect(issuesOf(parseGoldContract, contractWithAProblemPerStep())).toEqual([
      "contracts/clicks.yaml:10:19 at /schema/0/customProperties/0/property: unknown custom property 'sourceFormat' (fix: use one of: asOfSource)",
      "contracts/clicks.yaml:12:19 at /schema/0/customProperties/1/property: unknown custom property 'csvOptions' (fix: use one of: asOfSource)",
      "contracts/clicks.yaml:14:19 at /schema/0/customProperties/2/property: unknown custom property 'eventTimeColumn' (fix: use one of: asOfSource)",
      "contracts/clicks.yaml:32:23 at /schema/0/properties/2/customProperties/0/property: unknown custom property 'sourcePath' (fix: Gold contracts take no custom properties on properties; remove it)",
      "contracts/clicks.yaml:34:15 at /schema/0/properties/3/name: property name 'Target2' is not a valid column name (fix: use lower case letters, digits and _, starting with a letter (at most 63))",
      "contracts/clicks.yaml:41:23 at /schema/0/properties/4/customProperties/0/property: unknown custom property 'sourcePath' (fix: Gold contracts take no custom properties on properties; remove it)",
      "contracts/clicks.yaml:17:17 at /schema/0/quality/0/metric: metric 'nullValues' applies to a column (fix: move the rule under that property)",
      "contracts/clicks.yaml:44:15 at /slaProperties/0/property: SLA property 'latency' is not supported (fix: use freshness or retention)",
    ]);
  });
});
