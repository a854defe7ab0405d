import { loadProject } from '@ias/infra/config';
import { Naming } from '@ias/targets';
import type { AssemblyModel, StackModel } from '../../src/check/assembly';
import type { CfnResource } from '../../src/check/assembly';

/** The repository's project, as the check loads it (README prefix, real profiles). */
export const project = loadProject({});

/** The naming of one environment. */
export function naming(env: string): Naming {
  return new Naming(project.prefix, env);
}

/** One stack of an environment, by its short name (`data`, `fn-allocate-order`, …). */
export function stackOf(model: AssemblyModel, env: string, short: string): StackModel {
  const name = naming(env).stackName(short);
  const stack = model.stages.flatMap((s) => s.stacks).find((s) => s.stackName === name);
  if (!stack) {
    throw new Error(`no stack ${name} in the assembly`);
  }
  return stack;
}

/** Every resource of an environment's stacks (or all stages' when env is undefined). */
export function resources(model: AssemblyModel, env?: string): [StackModel, string, CfnResource][] {
  const stageId = env === undefined ? undefined : naming(env).base;
  return model.stages
    .filter((s) => stageId === undefined || s.stageId === stageId)
    .flatMap((s) => s.stacks)
    .flatMap((stack) =>
      Object.entries(stack.template.Resources ?? {}).map(
        ([id, r]) => [stack, id, r] as [StackModel, string, CfnResource],
      ),
    );
}

/**
 * Removes an action from every identity policy statement of an environment (those of the policies
 * and roles `where` keeps, given their stack and resource); returns how many it touched.
 */
export function removeAction(
  model: AssemblyModel,
  env: string | undefined,
  action: string,
  where?: (stack: StackModel, resource: CfnResource) => boolean,
): number {
  let touched = 0;
  for (const [stack, , resource] of resources(model, env)) {
    if (where && !where(stack, resource)) {
      continue;
    }
    const documents: { Statement: Record<string, unknown>[] }[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(resource.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] });
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const inline of (resource.Properties?.Policies ?? []) as {
        PolicyDocument: { Statement: Record<string, unknown>[] };
      }[]) {
        documents.push(inline.PolicyDocument);
      }
    }
    for (const doc of documents) {
      for (const statement of doc.Statement) {
        const actions = statement.Action;
        if (actions === action) {
          statement.Action = 'none:Removed';
          touched += 1;
        } else if (Array.isArray(actions) && actions.includes(action)) {
          statement.Action = actions.filter((a) => a !== action);
          touched += 1;
        }
      }
    }
  }
  return touched;
}
