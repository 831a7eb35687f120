/**
 * All SQL of the transform, as pure builders (no I/O): text helpers and column names (text.ts), readers
 * (read.ts), the rule table and conversions (rules.ts), row-level SQL to silver and the checked table
 * (rows.ts), and the engine's other statements and temporary tables (statements.ts).
 */
export * from './text';
export * from './read';
export * from './rules';
export * from './rows';
export * from './statements';
