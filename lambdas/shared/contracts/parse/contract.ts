/**
 * The contract's top level: supported keys, apiVersion and kind, the dataset name (valid, and equal to the
 * file's base name), and exactly one schema object whose keys and name agree.
 */
import { ContractError } from '../errors';
import type { IssueCollector, Path } from './issues';
import type { JsonObject } from './json';
import { NAME_PATTERN, SUPPORTED_KEYS, checkKeys } from './keys';
import { ODCS_API_VERSION } from './schema';

/** The dataset a contract describes: its name and its one schema object. */
export interface ContractHeader {
  /** The dataset name; the file's base name when the contract has no usable name (already reported). */
  readonly dataset: string;
  readonly object: JsonObject;
  readonly objectPath: Path;
}

/** Checks the top level; throws ContractError when schema does not hold exactly one object. */
export function checkContractHeader(raw: JsonObject, file: string, issues: IssueCollector): ContractHeader {
  checkKeys(raw, [], SUPPORTED_KEYS.contract, 'a contract', issues);
  if (raw.apiVersion !== ODCS_API_VERSION) {
    issues.add(['apiVersion'], `apiVersion '${String(raw.apiVersion)}' is not read by medallion-platform`, `write the contract in ODCS ${ODCS_API_VERSION}`);
  }
  if (raw.kind !== 'DataContract') issues.add(['kind'], `kind must be DataContract, got '${String(raw.kind)}'`);
  const name = raw.name;
  const baseName = file.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/, '');
  if (typeof name !== 'string') {
    issues.add([], "missing required key 'name'", `add name: ${baseName}`);
  } else if (!NAME_PATTERN.test(name)) {
    issues.add(['name'], `dataset name '${name}' is not valid`, 'use lower case letters, digits and _, starting with a letter (at most 63)');
  } else if (name !== baseName) {
    issues.add(['name'], `dataset name '${name}' does not match the file name '${baseName}'`, `rename the file to ${name}.yaml or the dataset to ${baseName}`);
  }
  const dataset = typeof name === 'string' ? name : baseName;
  const schema = raw.schema;
  if (!Array.isArray(schema) || schema.length !== 1) {
    issues.add(['schema'], `a contract describes exactly one dataset, so schema needs exactly one object (found ${Array.isArray(schema) ? schema.length : 0})`, 'split the contract into one file per dataset');
    throw new ContractError(issues.issues);
  }
  const object = schema[0] as JsonObject;
  const objectPath = ['schema', 0];
  checkKeys(object, objectPath, SUPPORTED_KEYS.schemaObject, 'schema[0]', issues);
  if (object.name !== dataset) {
    issues.add([...objectPath, 'name'], `schema[0].name '${String(object.name)}' differs from the contract name '${dataset}'`, `set it to ${dataset}`);
  }
  return { dataset, object, objectPath };
}
