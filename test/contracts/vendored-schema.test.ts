import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('vendored ODCS schema', () => {
  it('is the unchanged official v3.1.0 schema', () => {
    const bytes = readFileSync(join(__dirname, '..', '..', 'contracts', 'schema', 'odcs-json-schema-v3.1.0.json'));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('e2893c5a50ea91cab2f1548279e5677e7cd8bfe4970d7016d538512ebecbc915');
    const schema = JSON.parse(bytes.toString('utf8')) as { title: string; properties: { apiVersion: { default: string } } };
    expect(schema.title).toBe('Open Data Contract Standard (ODCS)');
    expect(schema.properties.apiVersion.default).toBe('v3.1.0');
  });
});
