export * from './db';
export * from './errors';
export * from './log-events';
export * from './migrate';
export * from './query-observers';
export * from './repository';
export * from './schemas';
export * from './settings';
