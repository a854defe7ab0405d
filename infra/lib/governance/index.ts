export * from './governance-stack';
export * from './persona-roles';
export * from './service-control-policies';
