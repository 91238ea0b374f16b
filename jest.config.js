/**
 * Four projects: unit tests sit beside the code; integration, end-to-end and
 * fault-injection tests live under test/ and talk to the real services that
 * scripts/services.sh starts (see README, "Tests").
 * ts-jest only transpiles here; `npm run typecheck` type-checks everything.
 */
const shared = {
  // Node's environment, which also tells afterEach hooks whether the test failed.
  testEnvironment: '<rootDir>/test/support/failure-aware-environment.js',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  moduleNameMapper: {
    '^@mediaflow/(api|worker)$': '<rootDir>/services/$1/src',
    '^@mediaflow/(.*)$': '<rootDir>/packages/$1/src',
  },
  rootDir: __dirname,
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/services/*/src/**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/require-services.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/require-services.ts'],
    },
    {
      // Restarts Kafka and stops the database: run it alone (`--selectProjects fault --runInBand`).
      ...shared,
      displayName: 'fault',
      testMatch: ['<rootDir>/test/fault/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/require-services.ts'],
    },
  ],
};
