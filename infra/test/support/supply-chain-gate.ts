import { expect } from 'vitest';
import type { EnvironmentConfig } from '../../lib/config/load';
import type { StageSummary } from '../../lib/plan';
import { renderValue } from '../../lib/plan/physical-names';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

interface Action {
  Name: string;
  ActionTypeId: { Provider: string };
  Configuration?: { FunctionName?: unknown; UserParameters?: string };
  RunOrder?: number;
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

/** Every resource of every stack of `stages`, with its stack's resources for lookups. */
function resources(
  stages: readonly StageSummary[],
): { stack: Record<string, Resource>; id: string; r: Resource }[] {
  return stages.flatMap((stage) =>
    stage.stacks.flatMap((s) => {
      const all = (s.template.Resources ?? {}) as Record<string, Resource>;
      return Object.entries(all).map(([id, r]) => ({ stack: all, id, r }));
    }),
  );
}

/**
 * The statements of a role (inline, or policies attached in its stack): the role named `roleName`,
 * or the role of the function `functionName` (a name, or a `${LogicalId}` reference) names.
 */
function roleStatements(
  stages: readonly StageSummary[],
  role: { roleName: string } | { functionName: string; stack: Record<string, Resource> },
): Statement[] {
  const all = resources(stages);
  let found: (typeof all)[number] | undefined;
  if ('roleName' in role) {
    const roles = all.filter(
      ({ r }) => r.Type === 'AWS::IAM::Role' && renderValue(r.Properties?.['RoleName']) === role.roleName,
    );
    expect(
      roles.map(({ id }) => id),
      `role ${role.roleName}`,
    ).toHaveLength(1);
    found = roles[0];
  } else {
    // Logical IDs repeat across the pipelines' stacks: the function is in the pipeline's own.
    const fn = all
      .filter(({ stack }) => stack === role.stack)
      .find(
        ({ id, r }) =>
          r.Type === 'AWS::Lambda::Function' &&
          (`\${${id}}` === role.functionName ||
            renderValue(r.Properties?.['FunctionName']) === role.functionName),
      );
    const roleId = (fn?.r.Properties?.['Role'] as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
      'Fn::GetAtt'
    ]?.[0];
    found = fn && roleId ? { stack: fn.stack, id: roleId, r: fn.stack[roleId] as Resource } : undefined;
    expect(found, `the role of function ${role.functionName}`).toBeDefined();
  }
  if (!found) return [];
  const { stack, id, r } = found;
  const inline = (
    (r.Properties?.['Policies'] ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(stack)
    .filter(
      (p) =>
        (p.Type === 'AWS::IAM::Policy' || p.Type === 'AWS::IAM::ManagedPolicy') &&
        JSON.stringify(p.Properties?.['Roles'] ?? []).includes(`"Ref":"${id}"`),
    )
    .flatMap((p) => (p.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

/**
 * Every `Deploy-<env>` stage of every application pipeline in `stages` starts with SupplyChainGate
 * (the steps function, runOrder 1, alone) carrying that environment's failOn; a service's gate names
 * the environment's repository, and the role it reads the scan as (the steps role, or the delivery
 * role its roleArn names) may DescribeImageScanFindings on that repository, by name, no wildcard.
 * Answers how many gates it checked.
 */
export function expectSupplyChainGates(
  stages: readonly StageSummary[],
  environments: readonly EnvironmentConfig[],
): number {
  const pipelines = resources(stages).filter(({ r }) => r.Type === 'AWS::CodePipeline::Pipeline');
  let gates = 0;
  for (const { stack, r } of pipelines) {
    const name = renderValue(r.Properties?.['Name']);
    const deployStages = (r.Properties?.['Stages'] as { Name: string; Actions: Action[] }[]).filter((s) =>
      s.Name.startsWith('Deploy-'),
    );
    for (const stage of deployStages) {
      const env = environments.find((e) => stage.Name === `Deploy-${e.name}`);
      expect(env, `${name} ${stage.Name}`).toBeDefined();
      const [first, ...rest] = stage.Actions;
      expect(first?.Name, `${name} ${stage.Name}`).toBe('SupplyChainGate');
      expect(first?.ActionTypeId.Provider).toBe('Lambda');
      expect(first?.RunOrder ?? 1).toBe(1);
      for (const other of rest)
        expect(other.RunOrder ?? 1, `${name} ${stage.Name} ${other.Name}`).toBeGreaterThan(1);
      const parameters = JSON.parse(first?.Configuration?.UserParameters ?? '{}') as Record<string, string>;
      expect(parameters).toMatchObject({
        step: 'supply-chain-gate',
        environment: env?.name,
        failOn: env?.profile.supplyChain.failOn,
      });
      gates += 1;
      if (!parameters['repository']) continue;
      const roleArn = parameters['roleArn'];
      const role = roleArn
        ? { roleName: roleArn.split('/').pop() ?? roleArn }
        : { functionName: renderValue(first?.Configuration?.FunctionName), stack };
      const roleName = 'roleName' in role ? role.roleName : `the steps role of ${name}`;
      const scans = roleStatements(stages, role)
        .filter((s) => [s.Action].flat().includes('ecr:DescribeImageScanFindings'))
        .flatMap((s) => [s.Resource].flat().map((res) => renderValue(res)));
      expect(
        scans.filter((arn) => arn.endsWith(`:repository/${parameters['repository']}`)),
        `${roleName} on ${parameters['repository']}`,
      ).toHaveLength(1);
      for (const arn of scans) expect(arn).toMatch(/:repository\/[a-z0-9._/-]+$/);
    }
  }
  return gates;
}
