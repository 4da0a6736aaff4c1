/**
 * Jest runs the TypeScript sources as native ESM (--experimental-vm-modules): babel only strips the types and
 * leaves imports, `.ts` extensions included, as they are. Plain-JavaScript tooling on purpose: packages with
 * per-platform native builds (SWC, jest 30's resolver) cannot be locked completely from every registry mirror,
 * which breaks `npm ci`.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      'babel-jest',
      { presets: [['@babel/preset-typescript', { allowDeclareFields: true }]], babelrc: false, configFile: false },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  // Starting a server on embedded PGlite (a new database, every migration) can take half a minute on a slow machine.
  testTimeout: 60000,
  maxWorkers: 2,
};
