/**
 * The project configuration as other workspaces see it (`@ias/infra/config`): the prefix, the
 * validated profiles, the workloads' manifests, and the operator's access. Pure: loading it does not
 * load aws-cdk-lib or esbuild.
 */
export * from './errors';
export * from './prefix';
export * from './profile-schema';
export * from './service-profile-schema';
export * from './ec2-profile-schema';
export type { Ec2Definition, Ec2Manifest } from './ec2';
export * from './load';
export * from './functions';
export * from './services';
export * from './project';
export * from './operator-access';
export * from './judged-lambda';
export { exitOnConfigError } from './exit';
