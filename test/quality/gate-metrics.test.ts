import type { CheckResult } from '../../lambdas/shared/quality';

/** The EMF documents the record handler prints (what CloudWatch turns into metrics), parsed. */
async function emf(results: CheckResult[], blocked: boolean): Promise<Record<string, unknown>[]> {
  const printed: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    const { publishGateMetrics } = await import('../../lambdas/orchestration/record');
    publishGateMetrics(results, blocked);
  } finally {
    spy.mockRestore();
  }
  return printed.join('').split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const result = (dataset: string, kind: CheckResult['kind'], status: CheckResult['status']): CheckResult => ({
  id: `${dataset}.${kind}`,
  dataset,
  check: kind,
  kind,
  severity: status === 'fail' ? 'error' : 'warning',
  status,
  value: 1,
  unit: 'rows',
  threshold: 'mustBe 0',
});

describe('quality gate metrics (what the freshness and blocked-gate alarms watch)', () => {
  it('publishes the gate outcome and one count per dataset and check kind that did not pass', async () => {
    const docs = await emf(
      [result('prints', 'freshness', 'warn'), result('prints', 'nulls', 'fail'), result('events', 'nulls', 'pass'), result('events', 'freshness', 'warn')],
      true,
    );
    const values = docs.map((d) => {
      const { _aws, ...rest } = d as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } } & Record<string, unknown>;
      expect(_aws.CloudWatchMetrics[0].Namespace).toBe('MedallionPlatform');
      return rest;
    });
    expect(values).toEqual(
      expect.arrayContaining([
        { service: 'quality', dataset: 'prints', check: 'freshness', quality_checks_failed: 1 },
        { service: 'quality', dataset: 'prints', check: 'nulls', quality_checks_failed: 1 },
        { service: 'quality', dataset: 'events', check: 'freshness', quality_checks_failed: 1 },
        { service: 'quality', quality_gate_blocked: 1 },
      ]),
    );
    expect(values).toHaveLength(4);
  });
});
