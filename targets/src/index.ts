/**
 * Every physical name and every per-environment target of every workload, built here and nowhere
 * else. Pure: no aws-cdk-lib, no esbuild, no AWS SDK, so the stacks, the pipelines' steps, the ops
 * CLI and the workflows' helpers all read the same answer, cheaply.
 */
export * from './naming';
export * from './environment';
export * from './codedeploy';
export * from './ledger';
export * from './hooks';
export * from './monitoring';
export * from './pipelines';
export * from './artifacts';
export * from './kinds/strategy';
export * from './kinds/function/strategies';
export * from './kinds/function/target';
export * from './kinds/service/strategies';
export * from './kinds/service/target';
export * from './kinds/kubernetes/strategies';
export * from './kinds/kubernetes/target';
export * from './kinds/ec2/strategies';
export * from './kinds/ec2/target';
export * from './kinds/index';
export * from './canary';
