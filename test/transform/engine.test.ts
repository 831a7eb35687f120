import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseContract } from '../../lambdas/shared/contracts';
import { transformFile } from '../../lambdas/transform/engine';
import { UnreadableFileError } from '../../lambdas/transform/source-file';
import { mutate } from '../fixtures/contract-text';

const arrayContract = parseContract(mutate('value: ndjson', 'value: json-array'), 'contracts/clicks.yaml');
const lineage = { sourceKey: 'clicks/a.json', sourceVersion: 'v1', fileId: 'f1', ingestedAt: '2024-01-01T00:00:00Z' };

function run(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'engine-'));
  writeFileSync(join(dir, 'in.json'), text);
  return { dir, result: transformFile({ contract: arrayContract, textPath: join(dir, 'in.json'), lineage, outDir: join(dir, 'out'), projectionStartDate: '2000-01-01' }) };
}

describe('JSON-array sources', () => {
  it('reads every element, quarantines the bad ones with their original text', async () => {
    const { result } = run(JSON.stringify([
      { day: '2020-11-01', user_id: 1, event: { target: 'a' } },
      { day: '2020-11-01', user_id: 'x', event: { target: 'b' } },
      'not an object',
      { day: '2020-11-02', user_id: 2 },
    ]));
    const r = await result;
    expect({ rowsIn: r.rowsIn, rowsValid: r.rowsValid, rowsQuarantined: r.rowsQuarantined, reasons: r.reasons }).toEqual({
      rowsIn: 4,
      rowsValid: 2,
      rowsQuarantined: 2,
      reasons: { 'not a JSON object': 1, 'user_id: not an integer': 1 },
    });
    expect(r.silver.map((p) => [p.dt, p.rows])).toEqual([['2020-11-01', 1], ['2020-11-02', 1]]);
    const unknown = r.quarantine.find((p) => p.dt === 'unknown')!;
    expect(JSON.parse(readFileSync(unknown.files[0], 'utf8'))).toEqual({ source_key: 'clicks/a.json', line: 3, reasons: ['not a JSON object'], record: '"not an object"' });
  });

  it('a file that is not a JSON array at all is unreadable as a whole', async () => {
    const { result } = run('{"day": "2020-11-01"');
    await expect(result).rejects.toThrow(UnreadableFileError);
    await expect(run('{"day": "2020-11-01"').result).rejects.toThrow(/^cannot read the file as json-array: Invalid Input Error/);
  });
});
