/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is done once by `npm run typecheck`; jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 120000,
  // Jest's default is one worker per core minus one: a single worker on the 2-core CI machine. Most suites
  // wait on emulators, Trino or child processes, so two workers keep both cores busy.
  maxWorkers: 2,
};
