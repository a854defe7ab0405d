import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { userParametersSchema } from '@ias/delivery';
import { JUDGED_MAX_TIMEOUT_MINUTES } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { delivery } from '../../../lib/config/delivery';
import { environments } from '../../../lib/config/environments';
import { loadFunctions } from '../../../lib/config/functions';
import { parseDelivery, parseEnvironments, type EnvironmentConfig } from '../../../lib/config/load';
import { cdkContext, FUNCTIONS_DIR, REPO_ROOT } from '../../../lib/config/project';
import { DeliveryStage } from '../../../lib/delivery-stage';
import { EnvironmentStage } from '../../../lib/environment-stage';
import { TEST_PREFIX } from '../../support/stages';
import { asInvoked, FIXTURE_ACCOUNT, userParameters } from '../../support/user-parameters';
import { renderValue } from '../../../lib/plan/physical-names';

/**
 * The real profiles with dev's functions deployed `judged` (no profile does by default): three
 * steps of 10-minute bakes, an inconclusive verdict rolled back.
 */
const envs: EnvironmentConfig[] = parseEnvironments(
  {
    ...environments,
    dev: {
      ...environments.dev,
      lambda: {
        ...environments.dev.lambda,
        deployment: 'judged',
        judgedSteps: [10, 50, 100],
        canaryAnalysis: { enabled: true, inconclusive: 'rollback', bakeMinutes: 10 },
      },
    },
  },
  TEST_PREFIX,
);
const functions = loadFunctions(FUNCTIONS_DIR, REPO_ROOT);
const stage = new DeliveryStage(new App({ context: cdkContext() }), `${TEST_PREFIX}-delivery`, {
  prefix: TEST_PREFIX,
  delivery: parseDelivery(delivery, envs),
  environments: envs,
  functions,
});
const allocate = Template.fromStack(stage.pipelines.function.get('allocate-order') ?? stage.shared);

interface Action {
  Name: string;
  ActionTypeId: { Provider: string };
  InputArtifacts?: { Name: string }[];
  Configuration?: Record<string, unknown>;
  TimeoutInMinutes?: number;
}

/** The actions of a stage of the allocate-order pipeline. */
function actionsOf(stageName: string): Action[] {
  const [pipeline] = Object.values(allocate.findResources('AWS::CodePipeline::Pipeline')) as {
    Properties: { Stages: { Name: string; Actions: Action[] }[] };
  }[];
  return pipeline?.Properties.Stages.find((s) => s.Name === stageName)?.Actions ?? [];
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

/** The statements of the policies attached to the roles whose reference mentions `role`. */
function statementsOf(template: Template, role: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** A statement's resources as the account's names (CloudFormation's joins rendered). */
const resources = (s: Statement | undefined): string[] =>
  ([] as unknown[])
    .concat(s?.Resource ?? [])
    .map((r) =>
      renderValue(r)
        .replaceAll('${AWS::AccountId}', FIXTURE_ACCOUNT)
        .replaceAll('${AWS::Partition}', 'aws')
        .replaceAll('${AWS::Region}', 'ap-northeast-1'),
    );

const FN = 'arn:aws:lambda:ap-northeast-1:123456789012:function:ias-dev-allocate-order';
const ALARM = 'arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:ias-dev-allocate-order';

describe('a function pipeline into an environment that deploys judged', () => {
  it("runs the judged-deploy step as dev's Deploy, with the profile's steps, judging, time-out and the rollback alarms", () => {
    const deploy = actionsOf('Deploy-dev').find((a) => a.Name === 'Deploy');
    expect(deploy?.InputArtifacts).toEqual([{ Name: 'AppSpec_dev' }]);
    expect(userParameters(deploy?.Configuration?.UserParameters)).toEqual({
      step: 'judged-deploy',
      environment: 'dev',
      functionName: 'ias-dev-allocate-order',
      alias: 'live',
      steps: [10, 50, 100],
      analysis: { judge: {}, bakeMinutes: 10, inconclusive: 'rollback', earlyPromotion: true },
      // Two steps below 100 of 10 minutes, each plus 3 until its minutes are in CloudWatch, twice.
      timeoutMinutes: 52,
      // The alarms the function's CodeDeploy group rolls back on.
      alarms: [
        'ias-dev-allocate-order-errors',
        'ias-dev-allocate-order-throttles',
        'ias-dev-allocate-order-duration',
      ],
      ledger: {
        table: 'ias-dev-releases',
        name: 'ias-dev-allocate-order',
        configurationPath: '/ias/dev/',
        commit: '#{SourceVariables.CommitId}',
        sbom: { bucket: '#{SupplyChain-dev.SbomBucket}', key: '#{SupplyChain-dev.SbomKey}' },
      },
    });
    // The other environments keep CodeDeploy's deployment.
    for (const env of ['staging', 'prod']) {
      const other = actionsOf(`Deploy-${env}`).find((a) => a.Name === 'Deploy');
      expect(userParameters(other?.Configuration?.UserParameters)).toMatchObject({
        step: 'deploy',
        deploymentGroup: `ias-${env}-allocate-order-group`,
      });
    }
  });

  it('gives every step action UserParameters that the steps function accepts', () => {
    const invokes = ['Deploy-dev', 'Deploy-staging', 'Deploy-prod']
      .flatMap(actionsOf)
      .filter((a) => a.ActionTypeId.Provider === 'Lambda');
    expect(invokes).toHaveLength(9);
    for (const action of invokes) {
      const parsed = userParametersSchema.safeParse(
        asInvoked(userParameters(action.Configuration?.UserParameters)),
      );
      expect(parsed.error).toBeUndefined();
    }
  });

  it("caps nothing below the judged time-out: the Lambda action keeps CodePipeline's own 24 hours", () => {
    const deploy = actionsOf('Deploy-dev').find((a) => a.Name === 'Deploy');
    expect(deploy?.TimeoutInMinutes).toBeUndefined();
    const { timeoutMinutes } = userParameters(deploy?.Configuration?.UserParameters) as {
      timeoutMinutes: number;
    };
    expect(timeoutMinutes).toBeLessThanOrEqual(JUDGED_MAX_TIMEOUT_MINUTES);
    expect(JUDGED_MAX_TIMEOUT_MINUTES).toBeLessThan(24 * 60);
  });

  it('lets the steps move only the judged function’s alias, read metrics, and read only its alarms', () => {
    const steps = statementsOf(allocate, 'StepsRole');
    const alias = steps.find((s) => actions(s).includes('lambda:UpdateAlias'));
    expect(actions(alias as Statement).sort()).toEqual(['lambda:GetAlias', 'lambda:UpdateAlias']);
    expect(resources(alias)).toEqual([FN, `${FN}:live`]);
    // GetMetricData has no resource-level permissions: on `*`, beside the other such actions.
    const metrics = steps.find((s) => actions(s).includes('cloudwatch:GetMetricData'));
    expect(metrics?.Resource).toBe('*');
    const alarms = steps.find((s) => actions(s).includes('cloudwatch:DescribeAlarms'));
    expect(resources(alarms).sort()).toEqual([`${ALARM}-duration`, `${ALARM}-errors`, `${ALARM}-throttles`]);
    // CodeDeploy deploys only where it shifts the alias.
    const codedeploy = steps.find((s) => actions(s).includes('codedeploy:CreateDeployment'));
    expect(resources(codedeploy).join(' ')).not.toContain('ias-dev-');
    expect(resources(codedeploy).join(' ')).toContain(
      'ias-staging-allocate-order-app/ias-staging-allocate-order-group',
    );
    expect(
      steps
        .filter((s) => s.Resource === '*')
        .flatMap(actions)
        .sort(),
    ).toEqual([
      'cloudwatch:GetMetricData',
      'codedeploy:StopDeployment',
      'codepipeline:PutJobFailureResult',
      'codepipeline:PutJobSuccessResult',
      'secretsmanager:ListSecrets',
    ]);
  });

  it("gives dev's GitHub deploy role the same judged grants (ias-ops deploy lambda), and no CodeDeploy deployment", () => {
    const all = statementsOf(Template.fromStack(stage.github), 'iasdevgithubdeploy');
    expect(all.flatMap(actions)).not.toContain('codedeploy:CreateDeployment');
    // Its in-flight check still reads the group, which stays.
    expect(all.flatMap(actions)).toContain('codedeploy:ListDeployments');
    const alias = all.find((s) => actions(s).includes('lambda:UpdateAlias'));
    expect(resources(alias)).toEqual(expect.arrayContaining([FN, `${FN}:live`]));
    expect(all.some((s) => actions(s).includes('cloudwatch:GetMetricData') && s.Resource === '*')).toBe(true);
    const alarms = all.find((s) => actions(s).includes('cloudwatch:DescribeAlarms'));
    expect(resources(alarms)).toEqual(expect.arrayContaining([`${ALARM}-errors`]));
  });
});

describe('a function stack in an environment that deploys judged', () => {
  const dev = envs.find((e) => e.name === 'dev') as EnvironmentConfig;
  const functionStage = new EnvironmentStage(new App({ context: cdkContext() }), 'ias-dev', {
    config: dev,
    functions,
  });
  const template = Template.fromStack(functionStage.workloads.function.get('allocate-order') as never);

  it('keeps its CodeDeploy group (all at once, for a deployment by hand) with its rollback alarms', () => {
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'ias-dev-allocate-order-group',
      DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
      AlarmConfiguration: Match.objectLike({ Enabled: true }),
    });
    for (const name of ['errors', 'throttles', 'duration']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `ias-dev-allocate-order-${name}`,
      });
    }
  });

  it('registers nothing with the CodeDeploy canary watcher: the judged step judges itself', () => {
    expect(JSON.stringify(template.findResources('AWS::SSM::Parameter'))).not.toContain('canary-watch');
  });
});
