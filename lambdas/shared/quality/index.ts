export * from './checks';
export * from './evaluate';
export * from './records';
export * from './sources';
export * from './as-of';
