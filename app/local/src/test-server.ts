/** vitest `globalSetup` entry: one embedded PostgreSQL per test run. */
export { startTestServer as default } from './testing';
