/** SQL text helpers and the transform's column names, shared by every SQL builder of the transform. */
import type { ContractProperty } from '../../shared/contracts';

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Column holding a property's raw text in the `src` table. */
export const rawColumn = (p: ContractProperty): string => sqlIdent(`r_${p.name}`);
/** Column holding a property's converted value in the `checked` table. */
export const typedColumn = (p: ContractProperty): string => sqlIdent(`t_${p.name}`);
