import { existsSync, readFileSync } from 'node:fs';
import { OPENAPI_FILE, openApiText } from '../../scripts/openapi';
import { ROUTES } from '../../lambdas/api/routes';

describe('OpenAPI document', () => {
  it('the committed openapi/openapi.json is the one generated from the route table and the contracts', () => {
    const committed = existsSync(OPENAPI_FILE) ? readFileSync(OPENAPI_FILE, 'utf8') : '(missing)';
    if (committed !== openApiText()) {
      throw new Error('openapi/openapi.json is stale (routes or contracts changed): regenerate it with `npm run openapi` and commit the result');
    }
  });

  it('documents every route with its operation, parameters and problem responses', () => {
    const doc = JSON.parse(openApiText());
    expect(Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops as object).map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId}`))).toEqual(
      ROUTES.map((r) => `${r.method} ${r.path} ${r.operationId}`),
    );
    const rows = doc.paths['/v1/datasets/{name}/rows'].get;
    expect(rows.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['path:name', 'query:limit', 'query:orderBy', 'query:nextToken', 'query:filters']);
    expect(rows.parameters[0].schema.enum).toEqual(['daily_kpis', 'daily_revenue', 'data_quality_history', 'user_session_analysis', 'value_prop_features']);
    expect(rows.responses['504'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(doc.components.schemas.Row_daily_revenue.properties.revenue).toEqual({ type: 'string', pattern: '^-?\\d+(\\.\\d+)?$', nullable: true, description: 'Sum of their amounts' });
    expect(doc.security).toEqual([{ sigv4: [] }]);
  });
});
