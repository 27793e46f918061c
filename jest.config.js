/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (fast; `npm run
 * typecheck` does the type checking). ts-jest is plain JavaScript, so `npm ci`
 * needs no platform-specific binary from the registry.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/marbles'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 30000,
};
