import { pipelineNames } from '@ias/targets';
import type { Stack } from 'aws-cdk-lib';
import type { PipelineContext, WorkloadDefinition, WorkloadEnvironment } from './kind';

/** What a kind's pipeline stack is named and says, for one workload. */
export interface PipelineStackNames {
  /** The construct id in the delivery stage: `pipeline-<name>`. */
  readonly id: string;
  /** `<prefix>-<name>-pipeline`'s stack name. */
  readonly stackName: string;
  /** The pipeline's name, `<prefix>-<name>-pipeline`. */
  readonly pipeline: string;
  /** The environments in promotion order, as the description shows them (`dev → staging → prod`). */
  readonly promotion: string;
}

/** One pipeline stack per workload of a kind, by workload name, built by `build`. */
export function pipelinePerWorkload<Definition extends WorkloadDefinition, PipelineStack extends Stack>(
  definitions: readonly Definition[],
  context: PipelineContext,
  build: (definition: Definition, names: PipelineStackNames) => PipelineStack,
): ReadonlyMap<string, PipelineStack> {
  const promotion = context.environments.map((e) => e.name).join(' → ');
  return new Map(
    definitions.map((definition) => {
      const names = pipelineNames(context.prefix, definition.name);
      const id = `pipeline-${definition.name}`;
      return [
        definition.name,
        build(definition, { id, stackName: names.stack, pipeline: names.pipeline, promotion }),
      ];
    }),
  );
}

/**
 * One stack per workload of a kind in an environment's stage, by workload name, built by `build`;
 * each comes after the environment stack the kind reads ({@link WorkloadEnvironment.after}).
 */
export function stackPerWorkload<Definition extends WorkloadDefinition, WorkloadStack extends Stack>(
  definitions: readonly Definition[],
  env: WorkloadEnvironment,
  build: (definition: Definition) => WorkloadStack,
): ReadonlyMap<string, WorkloadStack> {
  return new Map(
    definitions.map((definition) => {
      const stack = build(definition);
      stack.addStackDependency(env.after);
      return [definition.name, stack];
    }),
  );
}
