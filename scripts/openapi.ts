import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openApiDocument } from '../lambdas/api/openapi';
import { loadContracts, loadGoldContracts } from '../lambdas/shared/contracts';

/** Where the committed OpenAPI document lives. */
export const OPENAPI_FILE = join(__dirname, '..', 'openapi', 'openapi.json');

/** The text of openapi/openapi.json: the document generated from the route table and the contracts. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(loadGoldContracts(), loadContracts()), null, 2)}\n`;
}

if (require.main === module) {
  mkdirSync(dirname(OPENAPI_FILE), { recursive: true });
  writeFileSync(OPENAPI_FILE, openApiText());
  console.log(`wrote ${OPENAPI_FILE}`);
}
