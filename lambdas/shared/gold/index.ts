export * from './datasets';
export * from './sql-lint';
export * from './trino-compat';
export * from './published-table';
