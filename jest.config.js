// Two projects: `unit` (pure logic, no servers) and `integration` (real Temporal dev server
// and FerretDB, started once per run by test/global-setup.ts).
const transform = { '^.+\\.ts$': ['@swc/jest'] };

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  // Integration tests drive real servers; `testTimeout` is global-only in jest.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: [
        '<rootDir>/{domain,workflows,activities,api,infra,workers,dev,ops,bench}/**/*.test.ts',
      ],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
