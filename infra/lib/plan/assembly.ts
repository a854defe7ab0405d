import { CloudAssembly, type CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { namedResources, type NamedResource, type Template } from './physical-names';

/** One synthesized stack, as the plan shows it. */
export interface StackSummary {
  /** CloudFormation stack name. */
  readonly stackName: string;
  /** Path in the app (`<stage>/<id>`), what `cdk deploy` selects. */
  readonly hierarchicalId: string;
  /** Target account, or undefined when environment-agnostic. */
  readonly account?: string;
  /** Target region, or undefined when environment-agnostic. */
  readonly region?: string;
  /** Resource count per CloudFormation type. */
  readonly resourceTypes: ReadonlyMap<string, number>;
  /** Resources with explicit physical names. */
  readonly namedResources: readonly NamedResource[];
  /** Stack names this one depends on. */
  readonly dependsOn: readonly string[];
  /** The template itself. */
  readonly template: Template;
}

/** The stacks of one stage (one environment), in deploy order. */
export interface StageSummary {
  /** The stage's ID, `<prefix>-<env>`. */
  readonly stageId: string;
  /** Its stacks, dependencies first. */
  readonly stacks: readonly StackSummary[];
}

function known(value: string): string | undefined {
  return value.startsWith('unknown-') ? undefined : value;
}

function summarize(stack: CloudFormationStackArtifact): StackSummary {
  const template = stack.template as Template;
  const resourceTypes = new Map<string, number>();
  for (const resource of Object.values(template.Resources ?? {})) {
    resourceTypes.set(resource.Type, (resourceTypes.get(resource.Type) ?? 0) + 1);
  }
  return {
    stackName: stack.stackName,
    hierarchicalId: stack.hierarchicalId,
    account: known(stack.environment.account),
    region: known(stack.environment.region),
    resourceTypes,
    namedResources: namedResources(template),
    dependsOn: stack.dependencies
      .filter((d): d is CloudFormationStackArtifact => 'stackName' in d)
      .map((d) => d.stackName),
    template,
  };
}

/** Orders stacks so that every stack comes after the stacks it depends on. */
function deployOrder(stacks: StackSummary[]): StackSummary[] {
  const ordered: StackSummary[] = [];
  const pending = [...stacks];
  while (pending.length > 0) {
    const index = pending.findIndex((s) => s.dependsOn.every((d) => ordered.some((o) => o.stackName === d)));
    // A cycle cannot come out of a successful synth; fall back to the assembly's order if it did.
    const [next] = pending.splice(index < 0 ? 0 : index, 1);
    if (next) {
      ordered.push(next);
    }
  }
  return ordered;
}

/** Reads a synthesized cloud assembly: one summary per stage (environment), in assembly order. */
export function readAssembly(outdir: string): StageSummary[] {
  const assembly = new CloudAssembly(outdir);
  return assembly.nestedAssemblies.map((nested) => ({
    stageId: nested.displayName,
    stacks: deployOrder(nested.nestedAssembly.stacks.map(summarize)),
  }));
}
