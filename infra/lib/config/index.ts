export * from './errors';
export * from './prefix';
export * from './naming';
export * from './profile-schema';
export * from './load';
