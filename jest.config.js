/** Jest runs TypeScript through swc (no type-check; `npm test` runs tsc first). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/broker', '<rootDir>/operator', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  testTimeout: 60000,
  // Integration suites each run one broker; two workers keep at most two alive on 2 cores.
  maxWorkers: 2,
};
