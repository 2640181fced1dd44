// Three projects: `unit` needs nothing running; `integration` talks to the
// real local servers that test/support/global-setup.ts starts (FerretDB,
// Temporal dev server) plus the Java time-skipping server and an SMTP
// receiver; `e2e` starts the whole system the way `make up` does.
// Every test file's logs go to .test-logs/<run>/ (test/support/test-logs.ts), printed only when it fails.
require('./test/support/log-files').runLogDir();

const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

module.exports = {
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/test/support/logs-on-failure.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/test-logs.ts'],
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      // The whole system as `make up` starts it (dist/stack/up.js), driven over HTTP.
      displayName: 'e2e',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/test-logs.ts'],
    },
    {
      // The fast fault drills (drills/, compiled in dist/drills) with small sizes, each on a stack of its own.
      displayName: 'drills',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/drills/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/test-logs.ts'],
    },
  ],
};
