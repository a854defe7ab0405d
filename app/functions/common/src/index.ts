export * from './database';
export * from './events';
export * from './observability';
export * from './powertools';
export * from './smoke';
export * from './settings';
