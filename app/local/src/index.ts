export * from './database';
export { createTestDatabase, DEPLOYED_DATABASE_ENV } from './testing';
