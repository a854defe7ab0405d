import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { deliveryNaming } from '@ias/targets';
import { buildApp } from '../../lib/app';
import { delivery } from '../../lib/config/delivery';
import { environments } from '../../lib/config/environments';
import { parseDelivery, parseEnvironments, type ProjectConfig } from '../../lib/config/load';
import { cdkContext } from '../../lib/config/project';
import { DeliveryObservability, pipelineNameOf } from '../../lib/pipelines/delivery-observability';
import { PipelineExecutionLog } from '../../lib/pipelines/pipeline-executions';
import { renderValue } from '../../lib/plan';
import { TEST_PREFIX } from '../support/stages';

const ACCOUNTS = {
  tooling: '111111111111',
  dev: '222222222222',
  staging: '333333333333',
  prod: '444444444444',
};

interface Widget {
  type: string;
  properties: { title?: string; alarms?: string[]; accountId?: string; region?: string; markdown?: string };
}

/** The delivery stack's overview widgets, with every environment in an account of its own. */
function multiAccountOverview(): Widget[] {
  const raw = structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
  for (const env of ['dev', 'staging', 'prod'] as const) {
    (raw[env] as Record<string, unknown>).account = ACCOUNTS[env];
  }
  const envs = parseEnvironments(raw, TEST_PREFIX);
  const config: ProjectConfig = {
    prefix: TEST_PREFIX,
    environments: envs,
    functions: [],
    services: [],
    delivery: parseDelivery({ ...delivery, account: ACCOUNTS.tooling }, envs),
  };
  const built = buildApp(config, { context: cdkContext(), policyGates: false });
  const shared = built.delivery?.shared;
  if (!shared) throw new Error('no delivery stage');
  const dashboards = Template.fromStack(shared).findResources('AWS::CloudWatch::Dashboard');
  const body = Object.values(dashboards)[0]?.Properties.DashboardBody as unknown;
  return (JSON.parse(renderValue(body)) as { widgets: Widget[] }).widgets;
}

function observabilityProps(stack: Stack, pipelines: string[]) {
  return {
    naming: deliveryNaming(TEST_PREFIX),
    pipelines,
    environments: parseEnvironments(environments, TEST_PREFIX),
    encryptionKey: new kms.Key(stack, 'Key'),
    logRetention: logs.RetentionDays.ONE_MONTH,
    retainData: false,
  };
}

describe('DeliveryObservability', () => {
  it('reads each environment in its own account and region when the profiles name accounts, and names them', () => {
    const widgets = multiAccountOverview();
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const canary = widgets.find((w) => w.properties.title?.startsWith(`${env}: canary`));
      expect(canary?.properties, env).toMatchObject({ accountId: ACCOUNTS[env], region: 'ap-northeast-1' });
      const health = widgets.find((w) => w.properties.title === `${env}: ${TEST_PREFIX}-${env}-health`);
      expect(health?.properties.alarms, env).toEqual([
        `arn:aws:cloudwatch:ap-northeast-1:${ACCOUNTS[env]}:alarm:${TEST_PREFIX}-${env}-health`,
      ]);
    }
    const note = widgets.find((w) => w.type === 'text')?.properties.markdown ?? '';
    expect(note).toContain(
      `In other accounts: dev (${ACCOUNTS.dev}, ap-northeast-1), staging (${ACCOUNTS.staging}, ap-northeast-1), prod (${ACCOUNTS.prod}, ap-northeast-1).`,
    );
  });

  it('names every alarm from its pipeline and the composite from the delivery stage', () => {
    const stack = new Stack(new App(), 'delivery');
    new DeliveryObservability(
      stack,
      'Observability',
      observabilityProps(stack, ['ias-a-pipeline', 'ias-b-pipeline']),
    );
    const template = Template.fromStack(stack);
    const names = (type: string) =>
      Object.values(template.findResources(type)).map(
        (r) => (r.Properties as { AlarmName: string }).AlarmName,
      );
    expect(names('AWS::CloudWatch::Alarm')).toEqual(['ias-a-pipeline-failed', 'ias-b-pipeline-failed']);
    expect(names('AWS::CloudWatch::CompositeAlarm')).toEqual(['ias-delivery-health']);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ias-delivery-overview' });
  });

  it('fails with no pipeline to observe', () => {
    const stack = new Stack(new App(), 'delivery');
    expect(() => new DeliveryObservability(stack, 'Observability', observabilityProps(stack, []))).toThrow(
      'ias-delivery: no pipeline to observe',
    );
  });

  it('fails to record the executions of no pipeline', () => {
    const stack = new Stack(new App(), 'delivery');
    expect(
      () =>
        new PipelineExecutionLog(stack, 'Executions', {
          name: 'ias-delivery-pipeline-executions',
          pipelines: [],
          encryptionKey: new kms.Key(stack, 'Key'),
          retention: logs.RetentionDays.ONE_MONTH,
          retainData: false,
        }),
    ).toThrow('ias-delivery-pipeline-executions: no pipeline to record the executions of');
  });
});

describe('pipelineNameOf', () => {
  it('is the name the pipeline was given', () => {
    const stack = new Stack(new App(), 'p');
    expect(
      pipelineNameOf(new codepipeline.Pipeline(stack, 'Pipeline', { pipelineName: 'ias-a-pipeline' })),
    ).toBe('ias-a-pipeline');
  });

  it('fails on a pipeline with no explicit name, quoting its path', () => {
    const stack = new Stack(new App(), 'p');
    expect(() => pipelineNameOf(new codepipeline.Pipeline(stack, 'Pipeline'))).toThrow(
      'p/Pipeline: the pipeline has no explicit name: give it a pipelineName',
    );
  });
});
