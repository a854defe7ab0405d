export * from './db';
export * from './errors';
export * from './migrate';
export * from './repository';
export * from './schemas';
export * from './settings';
