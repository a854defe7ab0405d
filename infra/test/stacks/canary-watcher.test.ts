import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { environments } from '../../lib/config/environments';
import { ConfigError } from '../../lib/config/errors';
import { parseEnvironments } from '../../lib/config/load';
import { buildStage } from '../support/stages';

/** The profiles with `change` applied to one environment's, parsed; the problems when refused. */
function parse(env: string, change: (profile: Record<string, Record<string, unknown>>) => void) {
  const raw = structuredClone(environments) as unknown as Record<
    string,
    Record<string, Record<string, unknown>>
  >;
  const profile = raw[env];
  if (!profile) throw new Error(`no ${env}`);
  change(profile);
  try {
    return { parsed: parseEnvironments(raw, 'ias') };
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { problems: (err as Error).message.split('\n') };
  }
}

describe('canaryAnalysis in a profile', () => {
  it('refuses judging a kind whose deployment has no two sides, saying why and what to choose', () => {
    const { problems } = parse('dev', (p) => {
      (p.lambda as Record<string, unknown>).canaryAnalysis = { enabled: true };
      (p.service as Record<string, unknown>).canaryAnalysis = { enabled: true };
      (p.ec2 as Record<string, unknown>).canaryAnalysis = { enabled: true };
      (p.kubernetes as Record<string, unknown>).canaryAnalysis = { enabled: true };
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /dev\.lambda\.canaryAnalysis\.enabled: cannot be true: .*all-at-once: it moves every request at once: choose canary or linear/,
        ),
        expect.stringMatching(
          /dev\.service\.canaryAnalysis\.enabled: cannot be true: a rolling update mixes old and new tasks/,
        ),
        expect.stringMatching(
          /dev\.ec2\.canaryAnalysis\.enabled: cannot be true: an in-place deployment .*use blue-green/,
        ),
        expect.stringMatching(
          /dev\.kubernetes\.canaryAnalysis\.enabled: cannot be true: service-switch .* moves every user at once/,
        ),
      ]),
    );
  });

  it('refuses a bake longer than the deployment keeps both versions serving, less the minute in progress', () => {
    const { problems } = parse('prod', (p) => {
      (p.lambda as Record<string, unknown>).canaryAnalysis = { enabled: true, bakeMinutes: 5 };
    });
    expect(problems?.slice(1)).toEqual([
      expect.stringMatching(
        /prod\.lambda\.canaryAnalysis\.bakeMinutes: must be at most 4: the deployment keeps both versions serving 5 minutes/,
      ),
    ]);
  });

  it("refuses Amazon ECS's own deployments for now, pointing at CodeDeploy's", () => {
    const { problems } = parse('staging', (p) => {
      (p.service as Record<string, unknown>).canaryAnalysis = { enabled: true };
    });
    expect(problems?.join('\n')).toMatch(
      /not judged yet .* use codedeploy-blue-green with canary or linear traffic/,
    );
  });
});

describe('the canary watcher', () => {
  it('is in the deployment stack of an environment that judges CodeDeploy deployments, every minute, reading its groups and keeping looks in the ledger', () => {
    const t = Template.fromStack(buildStage('prod').deployment);
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ias-prod-canary-watcher',
      Environment: {
        Variables: Match.objectLike({
          CANARY_WATCH_PATH: '/ias/prod/canary-watch',
          RELEASES_TABLE: Match.anyValue(),
        }),
      },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      Name: 'ias-prod-canary-watcher-minute',
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ssm:GetParametersByPath',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([Match.stringLikeRegexp(':parameter/ias/prod/canary-watch$')]),
              ],
            },
          }),
          Match.objectLike({ Action: 'dynamodb:PutItem' }),
        ]),
      },
    });
  });

  it('is absent where nothing is judged (dev)', () => {
    const t = Template.fromStack(buildStage('dev').deployment);
    expect(
      Object.values(t.findResources('AWS::Lambda::Function')).map((r) => r.Properties?.FunctionName),
    ).not.toContain('ias-dev-canary-watcher');
  });

  it("is told of prod's container service by its stack: the group, the load balancer, both target groups and the analysis", () => {
    const stack = buildStage('prod').workloads.service.get('inventory-api');
    if (!stack) throw new Error('no service stack');
    const t = Template.fromStack(stack);
    const [parameter] = Object.values(
      t.findResources('AWS::SSM::Parameter', {
        Properties: { Name: '/ias/prod/canary-watch/ias-prod-inventory-api-group' },
      }),
    );
    const value = JSON.stringify(parameter?.Properties?.Value);
    for (const part of [
      '"kind\\":\\"ecs\\"',
      'ias-prod-inventory-api-app',
      '"bakeMinutes\\":4',
      '"inconclusive\\":\\"continue\\"',
    ]) {
      expect(value).toContain(part);
    }
    // Only once delivered, as the deployment group.
    expect(parameter?.Condition).toBeDefined();
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['ias-prod-canary-watcher'],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['codedeploy:GetDeployment', 'codedeploy:ListDeployments'],
          }),
        ],
      },
    });
  });
});
