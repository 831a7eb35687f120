/**
 * The ODCS JSON-Schema check: validates a contract against the vendored official ODCS schema with Ajv and
 * turns Ajv's errors into issues a person can act on, each at its JSON pointer and line.
 */
import Ajv2019, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import odcsSchema from '../../../../contracts/schema/odcs-json-schema-v3.1.0.json';
import { ContractError } from '../errors';
import { SUPPORTED_LOGICAL_TYPES } from '../types';
import { fromPointer, toPointer, type IssueCollector } from './issues';
import type { JsonObject } from './json';

/** The ODCS version this platform reads. */
export const ODCS_API_VERSION = 'v3.1.0';

let compiledSchema: ValidateFunction | undefined;
function odcsValidator(): ValidateFunction {
  // strict: false because the official schema uses annotation keywords (examples, deprecated) Ajv does not know.
  if (!compiledSchema) {
    const ajv = new Ajv2019({ allErrors: true, strict: false, verbose: true });
    addFormats(ajv);
    compiledSchema = ajv.compile(odcsSchema);
  }
  return compiledSchema;
}

/** Checks the document against the ODCS schema; throws ContractError with every schema issue if it fails. */
export function checkOdcsSchema(raw: JsonObject, issues: IssueCollector): void {
  const validate = odcsValidator();
  if (!validate(raw)) {
    schemaIssues(validate.errors ?? [], issues);
    throw new ContractError(issues.issues);
  }
}

/** Ajv reports each failing branch of if/then and oneOf; keep the errors a person can act on. */
function schemaIssues(errors: readonly ErrorObject[], issues: IssueCollector): void {
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'oneOf' || e.keyword === 'anyOf') continue;
    const path = fromPointer(e.instancePath);
    let reason: string;
    let hint: string | undefined;
    let at: (string | number)[] = path;
    switch (e.keyword) {
      case 'unevaluatedProperties':
      case 'additionalProperties': {
        const key = String(e.params.unevaluatedProperty ?? e.params.additionalProperty);
        at = [...path, key];
        reason = `unknown key '${key}': it is not part of ODCS ${ODCS_API_VERSION}`;
        break;
      }
      case 'required':
        reason = `missing required key '${String(e.params.missingProperty)}'`;
        break;
      case 'enum':
        if (path[path.length - 1] === 'logicalType' && path.includes('properties')) {
          reason = `unknown logicalType ${JSON.stringify(e.data)}`;
          hint = `use one of ${SUPPORTED_LOGICAL_TYPES.join(', ')}; put the storage type in physicalType`;
          break;
        }
        reason = `${e.message ?? 'invalid value'}: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      default:
        reason = e.message ?? `fails the ${e.keyword} rule of the ODCS schema`;
    }
    const key = `${toPointer(at)}|${reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.add(at, `${reason} (ODCS ${ODCS_API_VERSION} schema)`, hint);
  }
}
