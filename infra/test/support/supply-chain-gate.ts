import { expect } from 'vitest';
import { environmentArtifactBucketName, Naming, sbomKey } from '@ias/targets';
import type { EnvironmentConfig } from '../../lib/config/load';
import type { StageSummary } from '../../lib/plan';
import { renderValue } from '../../lib/plan/physical-names';
import { FIXTURE_ACCOUNT, userParameters } from './user-parameters';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

interface Action {
  Name: string;
  ActionTypeId: { Provider: string };
  Configuration?: { FunctionName?: unknown; UserParameters?: unknown };
  Namespace?: string;
  RunOrder?: number;
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
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
 * Every gate stores the SBOM of what passes in the environment's artifact bucket, under sbom/, which
 * that role may write (and nothing else of the bucket), and the stage's step that records the release
 * records the location the gate's output variables give. Answers how many gates it checked.
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
      const parameters = userParameters(first?.Configuration?.UserParameters) as Record<string, string>;
      expect(parameters).toMatchObject({
        step: 'supply-chain-gate',
        environment: env?.name,
        failOn: env?.profile.supplyChain.failOn,
      });
      gates += 1;
      const roleArn = parameters['roleArn'];
      const role = roleArn
        ? { roleName: roleArn.split('/').pop() ?? roleArn }
        : { functionName: renderValue(first?.Configuration?.FunctionName), stack };
      const roleName = 'roleName' in role && role.roleName ? role.roleName : `the steps role of ${name}`;
      const statements = roleStatements(stages, role);
      expectSbomStored(
        `${name} ${stage.Name}`,
        stage,
        env as EnvironmentConfig,
        parameters,
        statements,
        roleName,
      );
      if (!parameters['repository']) continue;
      const scans = statements
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

/**
 * The gate's `sbom` parameter names the environment's artifact bucket (in the environment's
 * account: the delivery role's, else the pipeline's), the workload and the commit; its namespace is
 * `SupplyChain-<env>`; the step of the stage that records the release takes the location from that
 * namespace; and the role the gate runs as may PutObject under sbom/ of that bucket and nowhere
 * else in S3.
 */
function expectSbomStored(
  what: string,
  stage: { Name: string; Actions: Action[] },
  env: EnvironmentConfig,
  parameters: Record<string, unknown>,
  statements: readonly Statement[],
  roleName: string,
): void {
  const [gate, ...rest] = stage.Actions;
  const sbom = parameters['sbom'] as { bucket: string; workload: string; commit: string } | undefined;
  expect(sbom, `${what}: the gate's sbom parameter`).toBeDefined();
  if (!sbom) return;
  // The environment's account: its delivery role's, else the pipeline's own.
  const roleArn = parameters['roleArn'] as string | undefined;
  const account = roleArn?.split(':')[4] ?? env.profile.account ?? FIXTURE_ACCOUNT;
  expect(sbom.bucket, what).toBe(
    environmentArtifactBucketName(new Naming(env.prefix, env.name), account, env.profile.region),
  );
  expect(sbom.commit, what).toBe('#{SourceVariables.CommitId}');
  // The key the gate stores at is a valid one for this workload.
  expect(sbomKey(sbom.workload, 'abc123'), what).toBe(`sbom/${sbom.workload}/abc123.cdx.json`);
  expect(gate?.Namespace, what).toBe(`SupplyChain-${env.name}`);
  const recorders = rest
    .filter((a) => a.ActionTypeId.Provider === 'Lambda')
    .map((a) => userParameters(a.Configuration?.UserParameters) as { ledger?: { sbom?: unknown } })
    .filter((p) => p.ledger);
  // The service's RecordImage, and its Kubernetes application's DeployKubernetes where there is one.
  expect(recorders.length, `${what}: a step records the release`).toBeGreaterThanOrEqual(1);
  for (const recorder of recorders) {
    expect(recorder.ledger?.sbom, what).toEqual({
      bucket: `#{SupplyChain-${env.name}.SbomBucket}`,
      key: `#{SupplyChain-${env.name}.SbomKey}`,
    });
  }
  const writes = statements
    .filter((s) => [s.Action].flat().some((a) => /^s3:(Put|Delete|\*)/.test(a)))
    .flatMap((s) => [s.Resource].flat().map((res) => renderValue(res)));
  expect(
    writes.map((arn) => arn.replaceAll('${AWS::AccountId}', FIXTURE_ACCOUNT)),
    `${roleName}: S3 writes`,
  ).toContain(`arn:aws:s3:::${sbom.bucket}/sbom/*`);
  for (const arn of writes) expect(arn, `${roleName}: S3 writes`).toMatch(/\/sbom\/\*$/);
  // The bucket encrypts with the environment key: S3 asks it for the data key, for this role.
  expect(
    statements.some(
      (s) =>
        [s.Action].flat().includes('kms:GenerateDataKey') &&
        s.Condition?.['StringEquals']?.['kms:ViaService'] === `s3.${env.profile.region}.amazonaws.com`,
    ),
    `${roleName}: kms:GenerateDataKey through S3`,
  ).toBe(true);
}
