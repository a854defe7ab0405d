export * from './database';
export { createTestDatabase } from './testing';
