import { checkBody } from '../../lambdas/api/ingest-body';
import type { Problem } from '../../lambdas/api/problem';
import { loadContracts } from '../../lambdas/shared/contracts';

const contracts = Object.fromEntries(loadContracts().map((c) => [c.name, c]));

describe('ingest body checks', () => {
  it('counts the records of a valid body: NDJSON lines, CSV rows after a quoted header, with BOM and CRLF', () => {
    expect(checkBody(contracts.prints, 'application/x-ndjson; charset=utf-8', Buffer.from('{"a":1}\n\n{"b":2}\n'))).toBe(2);
    expect(checkBody(contracts.pays, 'text/csv', Buffer.from('\uFEFF"pay_date","total","user_id","value_prop"\r\n2020-11-01,1.00,1,point\r\n'))).toBe(1);
  });

  it('refuses a body without a Content-Type with the expected one', () => {
    let problem: Problem | undefined;
    try {
      checkBody(contracts.users, '', Buffer.from('x'));
    } catch (e) {
      problem = e as Problem;
    }
    expect([problem?.status, problem?.detail]).toEqual([415, 'users is delivered as CSV with a header row (its contract, contracts/users.yaml): send Content-Type text/csv, not "(none)"']);
  });
});
