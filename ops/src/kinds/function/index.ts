/** Lambda functions: an alias `live` shifted by CodeDeploy. */
import { WORKLOAD_KINDS, type FunctionTarget } from '@ias/targets';
import type { KindController } from '../kind';

/** The function kind's controller. */
export const functionController: KindController<FunctionTarget> = {
  id: 'function',
  workloads: (project, env) =>
    [...project.functions]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((f) => ({
        kind: 'function',
        name: f.name,
        target: WORKLOAD_KINDS.function.target(env, f, project.delivery?.account),
      })),
  describe: (t) => `${t.functionName}:${t.alias} through ${t.application} / ${t.deploymentGroup}`,
};
