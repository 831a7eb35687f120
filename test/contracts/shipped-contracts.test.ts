import { loadContracts, type DatasetContract } from '../../lambdas/shared/contracts';

const contracts = loadContracts();
const byName = (name: string): DatasetContract => {
  const c = contracts.find((x) => x.name === name);
  if (!c) throw new Error(`no contract ${name}`);
  return c;
};
const columns = (name: string) => byName(name).properties.map((p) => `${p.name}:${p.type.glueType}${p.required ? '!' : ''}`);

describe('the six shipped source contracts (../shared/specs/datasets.md)', () => {
  it('exist, one per source, with the delivered formats', () => {
    expect(contracts.map((c) => [c.name, c.format])).toEqual([
      ['events', 'ndjson'],
      ['pays', 'csv'],
      ['prints', 'ndjson'],
      ['taps', 'ndjson'],
      ['transactions', 'csv'],
      ['users', 'csv'],
    ]);
  });

  it('prints and taps flatten event_data into value_prop and position', () => {
    for (const name of ['prints', 'taps']) {
      expect(columns(name)).toEqual(['day:date!', 'user_id:bigint!', 'value_prop:string!', 'position:int!']);
      expect(byName(name).properties.map((p) => p.sourcePath.join('.'))).toEqual(['day', 'user_id', 'event_data.value_prop', 'event_data.position']);
      expect(byName(name).properties[3].rules).toEqual({ minimum: 0 });
      expect(byName(name).primaryKey).toEqual([]);
      expect(byName(name).eventTimeColumn).toBe('day');
    }
  });

  it('pays is a CSV in column order with a decimal total', () => {
    expect(columns('pays')).toEqual(['pay_date:date!', 'total:decimal(18,2)!', 'user_id:bigint!', 'value_prop:string!']);
    expect(byName('pays').csv).toEqual({ delimiter: ',', quote: '"', escape: '"' });
    expect(byName('pays').eventTimeColumn).toBe('pay_date');
  });

  it('events keep properties as a JSON string and accept only the listed event types', () => {
    expect(columns('events')).toEqual([
      'event_id:string!', 'session_id:string!', 'user_id:string!', 'event_type:string!', 'timestamp:timestamp!', 'device:string', 'properties:string',
    ]);
    const events = byName('events');
    expect(events.primaryKey).toEqual(['event_id']);
    expect(events.properties.find((p) => p.name === 'event_type')?.rules.acceptedValues).toEqual([
      'page_view', 'search', 'add_to_cart', 'checkout', 'purchase', 'login', 'logout',
    ]);
    expect(events.properties.find((p) => p.name === 'properties')?.type.logicalType).toBe('object');
    expect(events.sla).toEqual({ freshness: { value: 6, unit: 'h' }, retention: { value: 2, unit: 'y' } });
  });

  it('transactions validate currency codes and statuses', () => {
    expect(columns('transactions')).toEqual([
      'transaction_id:string!', 'session_id:string!', 'user_id:string!', 'amount:decimal(18,2)!', 'currency:string!', 'status:string!', 'timestamp:timestamp!',
    ]);
    const t = byName('transactions');
    expect(t.primaryKey).toEqual(['transaction_id']);
    expect(t.properties.find((p) => p.name === 'currency')?.rules).toEqual({ pattern: '^[A-Z]{3}$' });
    expect(t.properties.find((p) => p.name === 'status')?.rules.acceptedValues).toEqual(['completed', 'failed', 'refunded']);
  });

  it('users protect the e-mail with a keyed hash', () => {
    expect(columns('users')).toEqual(['user_id:string!', 'email:string', 'country:string', 'device:string', 'signup_date:date', 'updated_at:timestamp!']);
    const email = byName('users').properties.find((p) => p.name === 'email');
    expect(email).toMatchObject({ classification: 'pii', pii: 'hmac-sha256' });
    expect(byName('users').properties.filter((p) => p.pii).map((p) => p.name)).toEqual(['email']);
    expect(byName('users').eventTimeColumn).toBe('updated_at');
  });

  it('carry dataset and column quality rules for the quality gate', () => {
    expect(byName('events').quality.map((q) => [q.name, q.metric, q.severity, q.threshold])).toEqual([
      ['events rowCount', 'rowCount', 'error', { operator: 'mustBeGreaterThan', value: 0 }],
      ['events duplicateValues', 'duplicateValues', 'warning', { operator: 'mustBeLessOrEqualTo', value: 5 }],
      ['events.device nullValues', 'nullValues', 'warning', { operator: 'mustBeLessOrEqualTo', value: 20 }],
    ]);
  });
});
