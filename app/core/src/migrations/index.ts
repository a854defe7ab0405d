import type { Migration } from '../migrate';
import { migration001 } from './001-stock-and-allocations';
import { migration002 } from './002-allocate-order-function';

/**
 * Every migration, in version order. Kept as TypeScript (not .sql files) so that a bundled
 * function or service carries them without extra files. Never edit an applied migration: add the
 * next version.
 */
export const MIGRATIONS: readonly Migration[] = [migration001, migration002];
