import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { delivery } from '../../lib/config/delivery';
import { environments } from '../../lib/config/environments';
import { parseDelivery, parseEnvironments } from '../../lib/config/load';
import { cdkContext } from '../../lib/config/project';
import type { StepsTarget } from '../../lib/pipelines/pipeline-parts';
import { WorkloadPipelineStack, type PipelineWorkload } from '../../lib/pipelines/workload-pipeline-stack';
import { TEST_PREFIX } from '../support/stages';

const envs = parseEnvironments(environments, TEST_PREFIX);

/** The smallest kind of pipeline: source, an approval, a build, then (when asked) the pipeline assembled. */
class ProbePipelineStack extends WorkloadPipelineStack<PipelineWorkload, StepsTarget> {
  constructor(app: App, assembleTimes: number) {
    const shared = new Stack(app, 'shared');
    super(
      app,
      'probe',
      {
        prefix: TEST_PREFIX,
        environments: envs,
        delivery: parseDelivery(delivery, envs),
        encryptionKey: new kms.Key(shared, 'Key'),
        accessLogBucket: s3.Bucket.fromBucketName(shared, 'Logs', 'logs'),
        connectionArn: 'arn:aws:codeconnections:ap-northeast-1:123456789012:connection/x',
        definition: { name: 'probe', folder: 'app/probes/probe' },
      },
      (env) => ({ environment: env.name }),
    );
    const check = new codepipeline.Artifact('Checked');
    const stages = this.sourceAndBuild(
      new codebuild.PipelineProject(this, 'Build'),
      [{ stageName: 'Approve', actions: [new actions.ManualApprovalAction({ actionName: 'Approve' })] }],
      [check],
    );
    for (let i = 0; i < assembleTimes; i++) {
      this.assemble(stages, ['app/core/**']);
    }
  }

  /** The targets, which only the kind's own stack reads. */
  get environments(): readonly string[] {
    return this.targets.map((t) => t.environment);
  }
}

describe('a workload pipeline stack', () => {
  it('has one target per environment, in promotion order', () => {
    expect(new ProbePipelineStack(new App({ context: cdkContext() }), 1).environments).toEqual(
      envs.map((e) => e.name),
    );
  });

  it("starts on a push that changes the workload's folder or the shared code, and sums up its stages", () => {
    const stack = new ProbePipelineStack(new App({ context: cdkContext() }), 1);
    expect(stack.stages).toEqual([
      { name: 'Source', actions: ['Source'] },
      { name: 'Approve', actions: ['Approve'] },
      { name: 'Build', actions: ['Build'] },
    ]);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Name: `${TEST_PREFIX}-probe-pipeline`,
      Triggers: [
        {
          GitConfiguration: {
            Push: [{ FilePaths: { Includes: ['app/probes/probe/**', 'app/core/**'] } }],
          },
        },
      ],
    });
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        Match.objectLike({
          Name: 'Build',
          Actions: [
            Match.objectLike({
              InputArtifacts: [{ Name: 'SourceOutput' }],
              OutputArtifacts: [{ Name: 'BuildOutput' }, { Name: 'Checked' }],
            }),
          ],
        }),
      ]),
    });
  });

  it('fails when the pipeline is read before it is assembled', () => {
    const stack = new ProbePipelineStack(new App({ context: cdkContext() }), 0);
    expect(() => stack.pipeline).toThrow('probe: the pipeline is read before its stack assembled it');
  });

  it('fails when a kind assembles the pipeline twice', () => {
    expect(() => new ProbePipelineStack(new App({ context: cdkContext() }), 2)).toThrow(
      'probe: the pipeline is already assembled',
    );
  });
});
