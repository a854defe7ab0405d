import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
  /**
   * Where each file asset's source is on disk, by the S3 object key it is published under
   * (`<hash>.zip`): what a CodeBuild project's S3 source holds, for the checks that read a file of
   * it (the Kubernetes deploy project's `deploy.json`).
   * @default - none: a source file cannot be read
   */
  readonly assets?: Readonly<Record<string, string>>;
}

/**
 * The account an environment-agnostic stack stands for. Any twelve digits would do: the check
 * compares ARNs built the same way on both sides.
 */
export const STAND_IN_ACCOUNT = '111111111111';

/** Raised when there is no assembly to check. */
export class NoAssemblyError extends Error {}

/** The asset manifest CDK writes beside each stack: each file asset's source and where it is published. */
interface AssetManifest {
  readonly files?: Readonly<
    Record<
      string,
      {
        readonly source?: { readonly path?: string };
        readonly destinations?: Readonly<Record<string, { readonly objectKey?: string }>>;
      }
    >
  >;
}

/**
 * Every file asset of an assembly and of its nested assemblies (`assembly-*`), by S3 object key:
 * the absolute path of its source (a folder, for a zipped asset).
 */
function assetSources(dir: string, found: Record<string, string> = {}): Record<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith('assembly-')) {
      assetSources(join(dir, entry.name), found);
    } else if (entry.isFile() && entry.name.endsWith('.assets.json')) {
      const manifest = JSON.parse(readFileSync(join(dir, entry.name), 'utf8')) as AssetManifest;
      for (const file of Object.values(manifest.files ?? {})) {
        const path = file.source?.path;
        for (const destination of Object.values(file.destinations ?? {})) {
          if (path !== undefined && destination.objectKey !== undefined) {
            found[destination.objectKey] = resolve(dir, path);
          }
        }
      }
    }
  }
  return found;
}

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
    assets: assetSources(outdir),
  };
}
