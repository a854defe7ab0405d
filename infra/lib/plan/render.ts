import { environmentArtifactBucketName, Naming, pipelineNames } from '@ias/targets';
import { EXCEPTIONS_FILE } from '@ias/delivery';
import { relative } from 'node:path';
import { KIND_LIST } from '../kinds';
import type { EnvironmentConfig, ProjectConfig } from '../config/load';
import type { StageSummary } from './assembly';
import { canaryPlanLines } from './canary';
import { monitoringLines, notificationLines } from './monitoring';
import { countFindings, type Acknowledgement, type Finding, type GateResults } from './gates';

/** Everything the delivery plan shows. */
export interface PlanInput {
  /** The validated project configuration. */
  readonly config: ProjectConfig;
  /** The synthesized stages. */
  readonly stages: readonly StageSummary[];
  /** The policy-gate results. */
  readonly gates: GateResults;
  /** Where the assembly was written. */
  readonly outdir: string;
  /** Paths are shown relative to this folder. */
  readonly cwd: string;
}

const WIDTH = 100;

function wrap(items: readonly string[], indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const item of items) {
    const next = line === indent ? `${line}${item}` : `${line}, ${item}`;
    if (next.length > WIDTH && line !== indent) {
      lines.push(`${line},`);
      line = `${indent}${item}`;
    } else {
      line = next;
    }
  }
  if (line !== indent) {
    lines.push(line);
  }
  return lines;
}

function inStage(stageId: string, path: string): boolean {
  return path === stageId || path.startsWith(`${stageId}/`);
}

/** The value of a pipeline template's property, as the plan prints it (references by name). */
interface PipelineTemplate {
  readonly Name?: string;
  readonly Stages?: readonly {
    Name: string;
    Actions: readonly { Name: string; ActionTypeId: { Provider: string } }[];
  }[];
  readonly Triggers?: readonly {
    GitConfiguration?: {
      Push?: readonly {
        FilePaths?: { Includes?: readonly string[] };
        Branches?: { Includes?: readonly string[] };
      }[];
    };
  }[];
}

/** The account an environment deploys to, as the plan names it. */
function accountOf(env: EnvironmentConfig): string {
  return env.profile.account ?? 'of the deploying credentials';
}

/** Each function's pipeline as synthesized: its stages and actions, what starts it, how it deploys. */
function pipelineLines(stage: StageSummary, config: ProjectConfig): string[] {
  const lines: string[] = [];
  for (const stack of stage.stacks) {
    for (const resource of Object.values(stack.template.Resources ?? {})) {
      if (resource.Type !== 'AWS::CodePipeline::Pipeline') {
        continue;
      }
      const p = resource.Properties as PipelineTemplate;
      const push = p.Triggers?.[0]?.GitConfiguration?.Push?.[0];
      lines.push(`  pipeline ${p.Name ?? stack.stackName}:`);
      if (config.delivery) {
        lines.push(
          `    source: github.com/${config.delivery.source.repository} @ ${push?.Branches?.Includes?.join(', ') ?? config.delivery.source.branch}, on changes under ${push?.FilePaths?.Includes?.join(', ') ?? 'any path'}`,
        );
      }
      for (const s of p.Stages ?? []) {
        // The infrastructure pipeline's waves: a diff, maybe an approval, then every stack of the
        // environment through a change set.
        const wave = config.environments.find((e) => s.Name === `${e.prefix}-${e.name}`);
        if (wave) {
          const steps = s.Actions.filter((a) => a.ActionTypeId.Provider !== 'CloudFormation');
          const stacks = new Set(
            s.Actions.filter((a) => a.ActionTypeId.Provider === 'CloudFormation').map(
              (a) => a.Name.split('.')[0],
            ),
          );
          lines.push(
            `    ${s.Name}: ${[...steps.map((a) => `${a.Name} (${a.ActionTypeId.Provider})`), `${stacks.size} stacks through change sets`].join(' → ')}  [account ${accountOf(wave)}, ${wave.profile.region}]`,
          );
          continue;
        }
        if (s.Name === 'Assets') {
          lines.push(`    Assets: ${s.Actions.length} file assets published (CodeBuild)`);
          continue;
        }
        const env = config.environments.find((e) => s.Name === `Deploy-${e.name}`);
        // The kind whose workload the pipeline delivers says how it deploys.
        const kind = KIND_LIST.find((k) =>
          k.definitions(config).some((w) => p.Name === pipelineNames(config.prefix, w.name).pipeline),
        );
        const how = env && kind ? `  [${kind.planDeployWords(env)}]` : '';
        const where = env ? `  (account ${accountOf(env)})` : '';
        lines.push(
          `    ${s.Name}: ${s.Actions.map((a) => `${a.Name} (${a.ActionTypeId.Provider})`).join(' → ')}${how}${where}`,
        );
      }
    }
  }
  if (config.delivery) {
    lines.unshift(
      `  tooling account: ${config.delivery.account ?? 'of the deploying credentials'}, region ${config.delivery.region} (every pipeline lives here)`,
    );
  }
  if (config.delivery && /^your-org\//.test(config.delivery.source.repository)) {
    lines.push(
      `  ! source.repository ${config.delivery.source.repository} is the example value: set it (and source.connectionArn, if you have a connection) in infra/lib/config/delivery.ts before deploying`,
    );
  }
  if (config.delivery && !config.delivery.source.connectionArn) {
    lines.push(
      `  connection: ${config.prefix}-github is created PENDING; complete its GitHub handshake once in the console (Developer Tools → Settings → Connections)`,
    );
  }
  return lines;
}

function profileLines(env: EnvironmentConfig): string[] {
  const p = env.profile;
  const nat =
    p.network.natGateways === 0
      ? 'no NAT gateway (private tier reaches AWS through VPC endpoints only)'
      : `${p.network.natGateways} NAT gateway${p.network.natGateways > 1 ? 's' : ''}`;
  const db = p.database;
  const examples = p.alarms.notificationEmails.filter((e) => /@example\.(com|org|net)$/i.test(e));
  const lines = [
    `  target: account ${p.account ?? 'of the deploying credentials (environment-agnostic)'}, region ${p.region}`,
    `  network: VPC ${p.network.vpcCidr} in ${p.network.availabilityZones.join(', ')}; ${nat}`,
    `  database: Aurora PostgreSQL Serverless v2, ${db.minCapacity}-${db.maxCapacity} ACU, ${db.readers} reader${db.readers === 1 ? '' : 's'}, ${db.proxy ? 'behind an RDS Proxy' : 'no proxy'}, backups ${db.backupRetentionDays} d, credentials rotated every ${db.credentialRotationDays} d`,
    `  data and logs: ${p.retainData ? 'RETAINED by cdk destroy (retainData: true)' : 'removed by cdk destroy (retainData: false)'}; log retention ${p.logRetentionDays} d`,
    `  alarms: to ${env.prefix}-${env.name}-alarms → ${p.alarms.notificationEmails.join(', ') || 'no e-mail subscription'}`,
    `  supply chain: deployments stop on findings ≥ ${p.supplyChain.failOn} (${p.supplyChain.scanning === 'enhanced' ? 'Amazon Inspector, continuous' : 'ECR basic scan on push'} of the image; npm audit of the bundle); exceptions in ${EXCEPTIONS_FILE}; what passes has its CycloneDX SBOM kept under sbom/<workload>/<commit>.cdx.json of ${environmentArtifactBucketName(new Naming(env.prefix, env.name), p.account ?? '<account>', p.region)}, named by its release`,
  ];
  if (examples.length > 0) {
    lines.push(
      `  ! ${examples.join(', ')} ${examples.length > 1 ? 'are example addresses' : 'is an example address'}: set alarms.notificationEmails in infra/lib/config/environments.ts before deploying`,
    );
  }
  return lines;
}

function groupAcknowledgements(acks: readonly Acknowledgement[], stageId: string): string[] {
  const groups = new Map<string, { rule: string; reason: string; paths: string[] }>();
  for (const ack of acks) {
    const key = `${ack.rule}\u0000${ack.reason}`;
    const group = groups.get(key) ?? { rule: ack.rule, reason: ack.reason, paths: [] };
    group.paths.push(ack.path.slice(stageId.length + 1));
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => `    ${g.rule} on ${g.paths.join(', ')}\n      reason: ${g.reason}`);
}

function findingLines(findings: readonly Finding[], stageId: string): string[] {
  return findings.flatMap((f) =>
    f.paths
      .filter((p) => inStage(stageId, p))
      .map((p) => `    ✖ [${f.plugin}] ${f.rule} at ${p}: ${f.description}`),
  );
}

/** Renders the delivery plan as text. */
export function renderPlan(input: PlanInput): string {
  const { config, gates } = input;
  // Promotion order (dev → staging → prod), as the profiles list them; the assembly sorts by name.
  const rank = (stageId: string): number => {
    const i = config.environments.findIndex((e) => `${e.prefix}-${e.name}` === stageId);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const stages = [...input.stages].sort((a, b) => rank(a.stageId) - rank(b.stageId));
  const stackCount = stages.reduce((n, s) => n + s.stacks.length, 0);
  const out: string[] = [
    `Delivery plan: prefix "${config.prefix}", ${config.environments.length} environments, ${KIND_LIST.filter(
      (k) => k.ownPipelines !== false,
    )
      .map((k) => `${k.definitions(config).length} ${k.id}`)
      .join(
        ' and ',
      )} pipelines, ${stackCount} stacks, synthesized offline into ${relative(input.cwd, input.outdir) || '.'}`,
    '',
  ];

  for (const stage of stages) {
    const env = config.environments.find((e) => `${e.prefix}-${e.name}` === stage.stageId);
    out.push(`== ${env?.name ?? stage.stageId} (${stage.stageId}) ==`);
    if (env) {
      out.push(
        ...profileLines(env),
        ...KIND_LIST.flatMap((kind) => kind.planLines(env, config)),
        ...canaryPlanLines(env),
        ...monitoringLines(stage),
      );
    } else {
      out.push(...pipelineLines(stage, config), ...notificationLines(stage));
      const examples = (config.delivery?.notificationEmails ?? []).filter((e) =>
        /@example\.(com|org|net)$/i.test(e),
      );
      if (examples.length > 0) {
        out.push(
          `  ! ${examples.join(', ')} ${examples.length > 1 ? 'are example addresses' : 'is an example address'}: set notificationEmails in infra/lib/config/delivery.ts before deploying`,
        );
      }
    }
    const total = stage.stacks.reduce((n, s) => n + Object.keys(s.template.Resources ?? {}).length, 0);
    out.push(`  stacks, in deploy order (${total} resources):`);
    const nameWidth = Math.max(...stage.stacks.map((s) => s.stackName.length));
    for (const stack of stage.stacks) {
      const count = [...stack.resourceTypes.values()].reduce((a, b) => a + b, 0);
      const deps = stack.dependsOn.length > 0 ? `after ${stack.dependsOn.join(', ')}` : 'first';
      out.push(`    ${stack.stackName.padEnd(nameWidth)}  ${String(count).padStart(3)} resources  (${deps})`);
    }

    const types = new Map<string, number>();
    for (const stack of stage.stacks) {
      for (const [type, n] of stack.resourceTypes) {
        types.set(type, (types.get(type) ?? 0) + n);
      }
    }
    out.push('  resources by type:');
    out.push(
      ...wrap(
        [...types].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t, n]) => `${t} ${n}`),
        '    ',
      ),
    );

    out.push('  named resources:');
    for (const stack of stage.stacks) {
      for (const r of stack.namedResources) {
        out.push(`    ${r.name}  (${r.type})`);
      }
    }

    const stageErrors = findingLines(gates.errors, stage.stageId);
    const stageWarnings = findingLines(gates.warnings, stage.stageId);
    const stageAcks = gates.acknowledgements.filter((a) => inStage(stage.stageId, a.path));
    out.push(
      `  policy gates: ${stageErrors.length} error${stageErrors.length === 1 ? '' : 's'}, ${stageWarnings.length} warning${stageWarnings.length === 1 ? '' : 's'}, ${stageAcks.length} acknowledged finding${stageAcks.length === 1 ? '' : 's'}`,
    );
    out.push(...stageErrors, ...stageWarnings.map((l) => l.replace('✖', '!')));
    if (stageAcks.length > 0) {
      out.push('  acknowledged:');
      out.push(...groupAcknowledgements(stageAcks, stage.stageId));
    }
    out.push('');
  }

  out.push('== policy gates ==');
  for (const plugin of gates.plugins) {
    const errors = countFindings(gates.errors.filter((f) => f.plugin === plugin));
    const warnings = countFindings(gates.warnings.filter((f) => f.plugin === plugin));
    const failed = errors > 0 || gates.failedPlugins.includes(plugin);
    const concluded = errors === 0 && failed ? ' (the plugin concluded failure)' : '';
    out.push(
      `  ${failed ? '✖' : '✔'} ${plugin}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}${concluded}`,
    );
  }
  for (const rule of gates.disabledRules) {
    out.push(`  - guard rule ${rule.rule} is turned off: ${rule.reason}`);
  }
  const errorCount = countFindings(gates.errors);
  out.push(
    '',
    errorCount === 0 && gates.failedPlugins.length === 0
      ? `PASS: every environment synthesized; no unacknowledged policy-gate error (${gates.acknowledgements.length} acknowledged, each with its reason).`
      : `FAIL: ${errorCount} unacknowledged policy-gate error${errorCount === 1 ? '' : 's'}${gates.failedPlugins.length > 0 ? ` (failed: ${gates.failedPlugins.join(', ')})` : ''} (listed above). Fix the resource, or acknowledge the finding on its construct with Validations.of(construct).acknowledge({ id, reason }).`,
  );
  return out.join('\n');
}
