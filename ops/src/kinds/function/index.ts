/** Lambda functions: an alias `live` shifted by CodeDeploy. */
import { LAMBDA_STRATEGIES, WORKLOAD_KINDS, type FunctionTarget } from '@ias/targets';
import type { KindController } from '../kind';
import { functionRestore } from './restore';
import { functionStatusReader, type FunctionStatus } from './status';

export type { FunctionStatus } from './status';

/** The function kind's controller. */
export const functionController: KindController<FunctionTarget, FunctionStatus> = {
  id: 'function',
  plural: 'functions',
  workloads: (project, env) =>
    project.functions.map((f) => ({
      kind: 'function',
      name: f.name,
      target: WORKLOAD_KINDS.function.target(env, f, project.delivery?.account),
    })),
  describe: (t) => `${t.functionName}:${t.alias} through ${t.application} / ${t.deploymentGroup}`,
  status: functionStatusReader,
  deployment: (w, env) => {
    const strategy = env.profile.lambda.deployment;
    const controller = LAMBDA_STRATEGIES[strategy].cliController;
    if (controller !== 'codedeploy') {
      // The alias moves through CodeDeploy only: a strategy naming another controller is a table error.
      throw new Error(
        `LAMBDA_STRATEGIES['${strategy}'].cliController is ${controller}: functions deploy with CodeDeploy`,
      );
    }
    const { application, deploymentGroup } = w.target;
    return { controller, group: { kind: 'function', name: w.name, application, deploymentGroup } };
  },
  restore: functionRestore,
};
