/**
 * Two projects: `unit` (everything under test/ but test/e2e) and `e2e` (the *.e2e.test.ts files under test/e2e,
 * against an AWS emulator). `jest` runs both in one scheduler; `jest --selectProjects unit` (or e2e) runs one.
 * Some files: `npx jest <paths>` (paths select on their own; after --selectProjects, which takes a list, a
 * path would be read as one more project name and every test of the project would run).
 */
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    // Type checking is done once by `npm run typecheck`; jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'] },
  ],
  // Global options (jest 29 reads them from the top level only, for every project).
  testTimeout: 120000,
  // Jest's default is one worker per core minus one: a single worker on the 2-core CI machine. Most suites
  // wait on emulators, Trino or child processes, so two workers keep both cores busy.
  maxWorkers: 2,
};
