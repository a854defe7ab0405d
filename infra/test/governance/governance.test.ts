import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { addPolicyGates } from '../../lib/aspects/policy-gates';
import { ConfigError } from '../../lib/config/errors';
import { governance as shippedGovernance } from '../../lib/config/governance';
import {
  parseGovernance,
  type EnabledGovernanceConfig,
  type GovernanceConfig,
} from '../../lib/config/governance-schema';
import { Naming } from '@ias/targets';
import { cdkContext } from '../../lib/config/project';
import {
  buildGovernanceStack,
  GLOBAL_SERVICE_ACTIONS,
  type GovernanceStack,
  organizationalUnitOf,
  PersonaRoles,
  personaRolesFor,
} from '../../lib/governance';
import { readGateResults } from '../../lib/plan';

const PREFIX = 'ias';
const DEFAULTS = { prefix: PREFIX, regions: ['ap-northeast-1'], environments: ['dev', 'staging', 'prod'] };
const MANAGEMENT = '111111111111';
const SAML = 'arn:aws:iam::222222222222:saml-provider/corp-idp';

/** A sample enabled configuration, as written. */
function sample(): Record<string, unknown> {
  return {
    enabled: true,
    managementAccount: MANAGEMENT,
    organizationRootId: 'r-ab12',
    personas: {
      developer: { trustedPrincipal: MANAGEMENT },
      qa: { trustedPrincipal: SAML },
      operator: { trustedPrincipal: MANAGEMENT },
    },
  };
}

function enabled(input: unknown = sample()): EnabledGovernanceConfig {
  const config = parseGovernance(input, DEFAULTS);
  if (!config.enabled) {
    throw new Error('expected enabled settings');
  }
  return config;
}

function problems(input: unknown, defaults = DEFAULTS): string[] {
  try {
    parseGovernance(input, defaults);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n');
  }
  throw new Error('expected the governance settings to be rejected');
}

const BREAK_GLASS = { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/ias-break-glass' } };

/** A guardrail statement as an SCP holds it: a deny on every resource, under a condition. */
function deny(
  Sid: string,
  actions: { Action: string[] } | { NotAction: string[] },
  Condition: Record<string, unknown>,
): Record<string, unknown> {
  return { Sid, Effect: 'Deny', ...actions, Resource: '*', Condition };
}

describe('governance settings', () => {
  it('ship disabled', () => {
    expect(parseGovernance(shippedGovernance, DEFAULTS)).toEqual({ enabled: false });
  });

  it('fill in the defaults from the prefix and the profiles', () => {
    const config = enabled();
    expect(config).toMatchObject({
      regions: ['ap-northeast-1'],
      breakGlassRoleName: 'ias-break-glass',
      ous: { dev: 'ias-dev', prod: 'ias-prod' },
      stagingOu: 'prod',
    });
    expect(config.personas.developer?.environments).toEqual(['dev']);
    expect(config.personas.qa?.environments).toEqual(['staging']);
    expect(config.personas.operator?.environments).toEqual(['prod']);
  });

  it('default the regions to every distinct profile region', () => {
    const config = parseGovernance(sample(), {
      prefix: PREFIX,
      regions: ['ap-northeast-1', 'ap-southeast-1', 'ap-northeast-1'],
    });
    expect(config.enabled && config.regions).toEqual(['ap-northeast-1', 'ap-southeast-1']);
  });

  it('place dev in the dev OU, prod in the prod OU and staging where stagingOu says', () => {
    const config = enabled();
    expect(['dev', 'staging', 'prod', 'qa'].map((env) => organizationalUnitOf(config, env))).toEqual([
      'dev',
      'prod',
      'prod',
      undefined,
    ]);
    expect(organizationalUnitOf(enabled({ ...sample(), stagingOu: 'dev' }), 'staging')).toBe('dev');
  });

  it('fails on broken settings reporting every problem at once, each with its path', () => {
    const lines = problems({
      enabled: true,
      managementAccount: '1234',
      organizationRootId: 'root',
      regions: ['tokyo', 'ap-northeast-1', 'ap-northeast-1'],
      breakGlassRoleName: 'break glass*',
      ous: { dev: 'same', prod: 'same' },
      stagingOu: 'qa',
      personas: {
        developer: { trustedPrincipal: 'someone', environments: [] },
        operator: { trustedPrincipal: SAML },
        auditor: { trustedPrincipal: MANAGEMENT },
      },
      extra: true,
    });
    expect(lines[0]).toMatch(/^infra\/lib\/config\/governance\.ts: \d+ problems in the governance settings/);
    const expected = [
      '  - managementAccount: must be a 12-digit AWS account ID',
      '  - organizationRootId: must be an organization root ID, "r-" then 4 to 32 lowercase letters or digits',
      '  - regions.0: must be a region name such as ap-northeast-1',
      '  - regions: must not repeat a region',
      '  - breakGlassRoleName: must be an IAM role name: 1 to 64 letters, digits or +=,.@_-',
      '  - ous.prod: dev and prod must be different OUs',
      '  - personas.developer.trustedPrincipal: must be a 12-digit AWS account ID or a SAML provider ARN, arn:aws:iam::<account>:saml-provider/<name>',
      '  - personas.developer.environments: must name at least one environment (leave the persona out to create no role)',
      '  - personas.operator.trustedPrincipal: must be a 12-digit account ID: the operator role requires MFA (aws:MultiFactorAuthPresent), which STS sets for IAM principals that signed in with MFA but not for SAML federation',
    ];
    for (const line of expected) {
      expect(lines).toContain(line);
    }
    expect(lines.some((l) => l.startsWith('  - stagingOu: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('  - personas: ') && l.includes('auditor'))).toBe(true);
    expect(lines.some((l) => l.startsWith('  - (root): ') && l.includes('extra'))).toBe(true);
  });

  it('fails when the allowed regions leave out a profile region, or a persona names an unknown environment', () => {
    const input: Record<string, unknown> = { ...sample(), regions: ['ap-southeast-1'] };
    (input.personas as Record<string, unknown>).qa = { trustedPrincipal: SAML, environments: ['stg'] };
    expect(problems(input)).toEqual([
      'infra/lib/config/governance.ts: 2 problems in the governance settings; fix each and run again:',
      '  - regions: ap-southeast-1 leaves out ap-northeast-1, the region of an environment profile; the region guardrail would stop every deployment there, so add it',
      '  - personas.qa.environments.0: stg is not an environment (known: dev, staging, prod)',
    ]);
  });

  it('fails without an enabled flag, and still checks what disabled settings spell out', () => {
    expect(problems({ managementAccount: MANAGEMENT })).toEqual([
      'infra/lib/config/governance.ts: 1 problem in the governance settings; fix each and run again:',
      '  - enabled: must be true or false',
    ]);
    expect(problems({ enabled: false, managementAccount: 'x' })).toContain(
      '  - managementAccount: must be a 12-digit AWS account ID',
    );
    expect(parseGovernance({ enabled: false, ...{ managementAccount: MANAGEMENT } }, DEFAULTS)).toEqual({
      enabled: false,
    });
  });
});

describe('governance stack, disabled', () => {
  it('synthesizes nothing: the builder returns undefined and no persona gets a role', () => {
    const app = new App();
    const disabled: GovernanceConfig = { enabled: false };
    expect(buildGovernanceStack(app, disabled, PREFIX)).toBeUndefined();
    expect(app.node.children).toHaveLength(0);
    expect(app.synth().stacks).toHaveLength(0);
    expect(personaRolesFor(disabled, 'dev')).toEqual([]);
  });
});

describe('governance stack, enabled', () => {
  const app = new App();
  const stack = buildGovernanceStack(app, enabled(), PREFIX) as GovernanceStack;
  const template = Template.fromStack(stack);
  const policies = template.findResources('AWS::Organizations::Policy');
  const policy = (name: string) => {
    const found = Object.values(policies).find((p) => p.Properties.Name === name);
    expect(found, `SCP ${name}`).toBeDefined();
    return found!.Properties;
  };
  const devOu = { 'Fn::GetAtt': [stack.getLogicalId(stack.ous.dev), 'Id'] };
  const prodOu = { 'Fn::GetAtt': [stack.getLogicalId(stack.ous.prod), 'Id'] };

  it('is <prefix>-governance, in the management account and us-east-1', () => {
    expect(stack.stackName).toBe('ias-governance');
    expect(stack.account).toBe(MANAGEMENT);
    expect(stack.region).toBe('us-east-1');
  });

  it('pins the logical IDs of the OUs and SCPs', () => {
    expect(Object.keys(template.findResources('AWS::Organizations::OrganizationalUnit')).sort()).toEqual([
      'DevOu',
      'ProdOu',
    ]);
    expect(Object.keys(policies).sort()).toEqual(['Guardrails', 'ProdGuardrails']);
  });

  it('creates the dev and prod OUs under the root', () => {
    template.resourceCountIs('AWS::Organizations::OrganizationalUnit', 2);
    template.hasResourceProperties('AWS::Organizations::OrganizationalUnit', {
      Name: 'ias-dev',
      ParentId: 'r-ab12',
    });
    template.hasResourceProperties('AWS::Organizations::OrganizationalUnit', {
      Name: 'ias-prod',
      ParentId: 'r-ab12',
    });
  });

  it('attaches the baseline guardrails to both OUs and the data guardrail to prod only', () => {
    expect(Object.keys(policies)).toHaveLength(2);
    expect(policy('ias-guardrails')).toMatchObject({
      Type: 'SERVICE_CONTROL_POLICY',
      TargetIds: [devOu, prodOu],
    });
    expect(policy('ias-prod-guardrails')).toMatchObject({
      Type: 'SERVICE_CONTROL_POLICY',
      TargetIds: [prodOu],
    });
  });

  it('baseline: no public databases, no CloudTrail tampering, allowed regions only (break-glass exempt from the last two)', () => {
    expect(policy('ias-guardrails').Content).toEqual({
      Version: '2012-10-17',
      Statement: [
        deny(
          'DenyPubliclyAccessibleDatabases',
          {
            Action: [
              ...['DBInstance', 'DBInstanceReadReplica', 'DBShardGroup'].map((r) => `rds:Create${r}`),
              ...['FromDBSnapshot', 'FromS3', 'ToPointInTime'].map((r) => `rds:RestoreDBInstance${r}`),
            ],
          },
          { Bool: { 'rds:PubliclyAccessible': 'true' } },
        ),
        deny(
          'DenyCloudTrailTampering',
          {
            Action: ['DeleteTrail', 'PutEventSelectors', 'StopLogging', 'UpdateTrail'].map(
              (a) => `cloudtrail:${a}`,
            ),
          },
          BREAK_GLASS,
        ),
        deny(
          'DenyOutsideAllowedRegions',
          { NotAction: [...GLOBAL_SERVICE_ACTIONS] },
          { StringNotEquals: { 'aws:RequestedRegion': ['ap-northeast-1'] }, ...BREAK_GLASS },
        ),
      ],
    });
  });

  it("exempts AWS's documented global services from the region guardrail", () => {
    expect(GLOBAL_SERVICE_ACTIONS).toEqual(
      expect.arrayContaining(['iam:*', 'organizations:*', 'sts:*', 'route53:*', 'cloudfront:*', 'support:*']),
    );
    expect(GLOBAL_SERVICE_ACTIONS).toHaveLength(42);
  });

  it('prod: databases and buckets are deleted by the break-glass role only', () => {
    expect(policy('ias-prod-guardrails').Content).toEqual({
      Version: '2012-10-17',
      Statement: [
        deny(
          'DenyDataDeletionExceptBreakGlass',
          {
            // Every kind of RDS resource that holds data, and buckets.
            Action: [
              ...[
                'DBCluster',
                'DBClusterAutomatedBackup',
                'DBClusterSnapshot',
                'DBInstance',
                'DBInstanceAutomatedBackup',
                'DBSnapshot',
                'GlobalCluster',
              ].map((r) => `rds:Delete${r}`),
              's3:DeleteBucket',
            ],
          },
          BREAK_GLASS,
        ),
      ],
    });
  });

  it('gives every SCP statement an Sid, and keeps each SCP within the size AWS Organizations accepts', () => {
    for (const p of Object.values(policies)) {
      const content = p.Properties.Content as { Statement: { Sid?: string }[] };
      for (const statement of content.Statement) {
        expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
      }
      expect(JSON.stringify(content).length).toBeLessThanOrEqual(5120);
    }
  });

  it('follows the configured names, regions, break-glass role and staging OU', () => {
    const custom = enabled({
      ...sample(),
      regions: ['ap-northeast-1', 'ap-southeast-1'],
      breakGlassRoleName: 'Emergency',
      ous: { dev: 'Workloads-Dev', prod: 'Workloads-Prod' },
      stagingOu: 'dev',
    });
    const s = buildGovernanceStack(new App(), custom, PREFIX) as GovernanceStack;
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Organizations::OrganizationalUnit', { Name: 'Workloads-Dev' });
    t.hasResourceProperties('AWS::Organizations::Policy', {
      Name: 'ias-prod-guardrails',
      Content: {
        Statement: [
          Match.objectLike({
            Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/Emergency' } },
          }),
        ],
      },
    });
    t.hasResourceProperties('AWS::Organizations::Policy', {
      Name: 'ias-guardrails',
      Content: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyOutsideAllowedRegions',
            Condition: {
              StringNotEquals: { 'aws:RequestedRegion': ['ap-northeast-1', 'ap-southeast-1'] },
              ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/Emergency' },
            },
          }),
        ]),
      },
    });
    t.hasOutput('DevOuId', { Description: 'Workloads-Dev: move the dev and staging account(s) here' });
    t.hasOutput('ProdOuId', { Description: 'Workloads-Prod: move the prod account(s) here' });
  });

  it('fails when an SCP would be over the size limit', () => {
    const many = Array.from({ length: 400 }, (_, i) => `ap-northeast-${i}`);
    const config = parseGovernance(sample(), { prefix: PREFIX, regions: many });
    expect(() => buildGovernanceStack(new App(), config, PREFIX)).toThrow(
      /^SCP ias-guardrails is \d+ characters, over the 5120 AWS Organizations accepts/,
    );
  });
});

describe('persona roles', () => {
  const config = enabled();

  /** A member-account stack of one environment with the personas the settings give it. */
  function member(env: string, account?: string): Template {
    const stack = new Stack(new App(), `ias-${env}-personas`, {
      env: account ? { account, region: 'ap-northeast-1' } : undefined,
    });
    new PersonaRoles(stack, 'Personas', {
      naming: new Naming(PREFIX, env),
      personas: personaRolesFor(config, env),
    });
    return Template.fromStack(stack);
  }
  const roleNames = (t: Template) =>
    Object.values(t.findResources('AWS::IAM::Role')).map((r) => r.Properties.RoleName as string);
  const managed = (name: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${name}`]],
  });
  const accountRoot = (account: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:root`]],
  });
  /** A persona role: its name, its one managed policy, one-hour sessions and its one trust statement. */
  const personaRole = (RoleName: string, policy: string, trust: Record<string, unknown>) => ({
    RoleName,
    MaxSessionDuration: 3600,
    ManagedPolicyArns: [managed(policy)],
    AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...trust }] },
  });

  it('gives the developer a role in dev only, QA in staging only, the operator in prod only', () => {
    expect(personaRolesFor(config, 'dev')).toEqual([{ persona: 'developer', trustedPrincipal: MANAGEMENT }]);
    expect(roleNames(member('dev'))).toEqual(['ias-dev-developer']);
    expect(roleNames(member('staging'))).toEqual(['ias-staging-qa']);
    expect(roleNames(member('prod'))).toEqual(['ias-prod-operator']);
    expect(personaRolesFor(config, 'sandbox')).toEqual([]);
  });

  it('developer: AdministratorAccess, trusting the configured account, one-hour sessions', () => {
    member('dev').hasResourceProperties(
      'AWS::IAM::Role',
      personaRole('ias-dev-developer', 'AdministratorAccess', {
        Action: 'sts:AssumeRole',
        Principal: { AWS: accountRoot(MANAGEMENT) },
      }),
    );
  });

  it('qa: ReadOnlyAccess only, trusting the SAML provider for console sign-in', () => {
    const t = member('staging');
    t.hasResourceProperties(
      'AWS::IAM::Role',
      personaRole('ias-staging-qa', 'ReadOnlyAccess', {
        Action: 'sts:AssumeRoleWithSAML',
        Principal: { Federated: SAML },
        Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
      }),
    );
    t.resourceCountIs('AWS::IAM::Policy', 0);
  });

  it('operator: assumed only with MFA, read-only plus starting and approving the <prefix>-* pipelines', () => {
    const t = member('prod', '333333333333');
    t.hasResourceProperties(
      'AWS::IAM::Role',
      personaRole('ias-prod-operator', 'ReadOnlyAccess', {
        Action: 'sts:AssumeRole',
        Principal: { AWS: accountRoot(MANAGEMENT) },
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      }),
    );
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OperateProjectPipelines',
            Effect: 'Allow',
            Action: [
              'codepipeline:Get*',
              'codepipeline:List*',
              'codepipeline:PutApprovalResult',
              'codepipeline:StartPipelineExecution',
            ],
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':codepipeline:ap-northeast-1:333333333333:ias-*'],
              ],
            },
          },
        ],
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^PersonasOperator') }],
    });
  });

  it('fails when the operator would trust a SAML provider (no MFA key under federation)', () => {
    const stack = new Stack(new App(), 'ias-prod-personas');
    expect(
      () =>
        new PersonaRoles(stack, 'Personas', {
          naming: new Naming(PREFIX, 'prod'),
          personas: [{ persona: 'operator', trustedPrincipal: SAML }],
        }),
    ).toThrow(/operator role requires MFA and must trust an account ID/);
  });
});

describe('policy gates', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'governance-gates-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('leave no unacknowledged error on the governance stack and on each persona set', () => {
    const app = new App({
      outdir: scratch,
      context: { ...cdkContext(), '@aws-cdk/core:appMode': 'inmemory' },
    });
    const config = enabled();
    buildGovernanceStack(app, config, PREFIX);
    for (const [env, account] of [
      ['dev', undefined],
      ['staging', undefined],
      ['prod', '333333333333'],
    ] as const) {
      const stack = new Stack(app, `ias-${env}-personas`, {
        env: account ? { account, region: 'ap-northeast-1' } : undefined,
      });
      new PersonaRoles(stack, 'Personas', {
        naming: new Naming(PREFIX, env),
        personas: personaRolesFor(config, env),
      });
    }
    const agnostic = new Stack(app, 'ias-agnostic-personas');
    new PersonaRoles(agnostic, 'Personas', {
      naming: new Naming(PREFIX, 'prod'),
      personas: personaRolesFor(config, 'prod'),
    });
    addPolicyGates(app);
    app.synth();
    const gates = readGateResults(scratch);
    expect(gates.plugins).toEqual(expect.arrayContaining(['AwsSolutions', 'cdk-validator-cfnguard']));
    expect(gates.errors).toEqual([]);
    // Each role acknowledges its AWS managed job-function policy, on the role itself.
    const managedPolicyAcks = gates.acknowledgements.filter((a) =>
      a.rule.startsWith('AwsSolutions::AwsSolutions-IAM4'),
    );
    expect(managedPolicyAcks.map((a) => a.path).sort()).toEqual([
      'ias-agnostic-personas/Personas/Operator',
      'ias-dev-personas/Personas/Developer',
      'ias-prod-personas/Personas/Operator',
      'ias-staging-personas/Personas/Qa',
    ]);
  });
});
