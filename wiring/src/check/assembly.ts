import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readAssembly } from '@ias/infra/plan';

/** One resource of a template, as CloudFormation reads it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: unknown;
  readonly Metadata?: Record<string, unknown>;
}

/** A template, with what the check reads of it. */
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
}

/** One stack of the assembly, with its deployment target. */
export interface StackModel {
  readonly stackName: string;
  /** The target account, or a stand-in when the stack is environment-agnostic. */
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly template: CfnTemplate;
}

/** One stage of the assembly: an environment (`<prefix>-<env>`) or the delivery stage. */
export interface StageModel {
  readonly stageId: string;
  readonly stacks: StackModel[];
}

/** The whole assembly, as the check reads it (plain data: tests change it to prove the check). */
export interface AssemblyModel {
  readonly stages: StageModel[];
}

/**
 * The account an environment-agnostic stack stands for. Any twelve digits would do: the check
 * compares ARNs built the same way on both sides.
 */
export const STAND_IN_ACCOUNT = '111111111111';

/** Raised when there is no assembly to check. */
export class NoAssemblyError extends Error {}

/** Reads a synthesized cloud assembly into plain data. */
export function loadAssembly(outdir: string, defaultRegion: string): AssemblyModel {
  if (!existsSync(join(outdir, 'manifest.json'))) {
    throw new NoAssemblyError(`no cloud assembly in ${outdir}: run npm run synth first`);
  }
  return {
    stages: readAssembly(outdir).map((stage) => ({
      stageId: stage.stageId,
      stacks: stage.stacks.map((stack) => ({
        stackName: stack.stackName,
        account: stack.account ?? STAND_IN_ACCOUNT,
        region: stack.region ?? defaultRegion,
        partition: 'aws',
        // A deep copy: the check never changes it, but tests that mutate a model must not leak.
        template: structuredClone(stack.template) as CfnTemplate,
      })),
    })),
  };
}
