import { describe, expect, inject, it } from 'vitest';
import { loadProject } from '../../lib/config/project';
import { readAssembly, renderValue } from '../../lib/plan';

const project = loadProject({});
const { prefix } = project;
const delivery = readAssembly(inject('assemblyDir')).find((s) => s.stageId === `${prefix}-delivery`);
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
const resources = (delivery?.stacks ?? []).flatMap((stack) =>
  Object.entries((stack.template.Resources ?? {}) as Record<string, Resource>).map(([id, r]) => ({
    stack,
    id,
    r,
  })),
);

describe('pipeline notifications (<prefix>-delivery-notifications)', () => {
  it('every pipeline tells the topic when it fails, succeeds or waits for an approval', () => {
    const pipelines = resources.filter(({ r }) => r.Type === 'AWS::CodePipeline::Pipeline');
    const names = [...project.functions, ...(project.services ?? [])].map(
      (w) => `${prefix}-${w.name}-pipeline`,
    );
    expect(pipelines.map(({ stack }) => stack.stackName).sort()).toEqual(
      [...names, `${prefix}-infra-pipeline`].sort(),
    );
    for (const { stack, id } of pipelines) {
      const rules = Object.values((stack.template.Resources ?? {}) as Record<string, Resource>).filter(
        (r) => r.Type === 'AWS::CodeStarNotifications::NotificationRule',
      );
      expect(rules, stack.stackName).toHaveLength(1);
      const rule = rules[0]?.Properties ?? {};
      expect(rule.Name).toBe(`${stack.stackName}-notify`);
      expect([...(rule.EventTypeIds as string[])].sort()).toEqual([
        'codepipeline-pipeline-manual-approval-needed',
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-pipeline-execution-succeeded',
      ]);
      // The rule watches this pipeline and sends to the shared stack's topic.
      expect(JSON.stringify(rule.Resource)).toContain(`"${id}"`);
      expect(JSON.stringify(rule.Targets)).toContain(`"StackName":"${prefix}-delivery"`);
    }
  });

  it('lets AWS CodeStar Notifications publish to the topic and use its key, through SNS only', () => {
    const topic = resources.find(
      ({ r }) =>
        r.Type === 'AWS::SNS::Topic' &&
        renderValue(r.Properties.TopicName) === `${prefix}-delivery-notifications`,
    );
    expect(topic).toBeDefined();
    expect(topic?.r.Properties.KmsMasterKeyId).toBeDefined();
    const policy = resources.find(({ r }) => r.Type === 'AWS::SNS::TopicPolicy');
    const statements = JSON.stringify(policy?.r.Properties.PolicyDocument);
    expect(statements).toContain('"Service":"codestar-notifications.amazonaws.com"');
    expect(statements).toContain('"sns:Publish"');
    const key = resources.find(({ r }) => r.Type === 'AWS::KMS::Key' && r.Properties.KeyPolicy !== undefined);
    const keyPolicy = (key?.r.Properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    const codestar = keyPolicy.find((s) => JSON.stringify(s.Principal).includes('codestar-notifications'));
    expect(codestar).toMatchObject({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'kms:ViaService': expect.stringMatching(/^sns\./) } },
    });
  });
});
