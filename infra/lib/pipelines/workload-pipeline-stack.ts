import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ledgerTableName, Naming, pipelineNames } from '@ias/targets';
import type { EnvironmentConfig } from '../config/load';
import type { DeliveryCode } from '../config/delivery-code';
import {
  PipelineParts,
  stageSummaries,
  type PipelinePartsProps,
  type PipelineStageSummary,
  type StepsTarget,
} from './pipeline-parts';

/** A workload as its pipeline sees it: its name and the folder whose changes start the pipeline. */
export interface PipelineWorkload {
  /** The folder name, which names the workload and its pipeline. */
  readonly name: string;
  /** The folder, relative to the repository root. */
  readonly folder: string;
}

/** Props of a {@link WorkloadPipelineStack}. */
export interface WorkloadPipelineStackProps<Definition extends PipelineWorkload>
  extends StackProps, PipelinePartsProps {
  /** The workload the pipeline delivers. */
  readonly definition: Definition;
  /** The delivery code the pipeline steps run. */
  readonly deliveryCode: DeliveryCode;
}

/** Where a workload is delivered in one environment, from its environment and definition. */
export type PipelineTargetOf<Definition, Target extends StepsTarget> = (
  env: EnvironmentConfig,
  definition: Definition,
  toolingAccount?: string,
) => Target;

/**
 * The pipeline stack of one workload, whatever its kind: its names, its targets (one per
 * environment, in promotion order), the parts it is built from and its artifact store. Each kind
 * adds its projects, steps and stages, then {@link assemble}s the pipeline.
 */
export abstract class WorkloadPipelineStack<
  Definition extends PipelineWorkload,
  Target extends StepsTarget,
> extends Stack {
  /** The artifact store (seed 003 §5.7). */
  readonly artifactStore: s3.Bucket;
  /** The pipeline's names: the pipeline, its projects, its steps and its artifact store. */
  protected readonly names: ReturnType<typeof pipelineNames>;
  /** Where the pipeline delivers, one target per environment, in promotion order. */
  protected readonly targets: readonly Target[];
  protected readonly parts: PipelineParts;
  private readonly folder: string;

  protected constructor(
    scope: Construct,
    id: string,
    props: WorkloadPipelineStackProps<Definition>,
    targetOf: PipelineTargetOf<Definition, Target>,
  ) {
    super(scope, id, props);
    const { prefix, definition, delivery } = props;
    this.names = pipelineNames(prefix, definition.name);
    this.targets = props.environments.map((env) => targetOf(env, definition, delivery.account));
    this.parts = new PipelineParts(this, this.names.artifactStore, props);
    this.artifactStore = this.parts.artifactStore;
    this.folder = definition.folder;
  }

  /**
   * The pipeline of these stages, started by a push that changes the workload's folder or one of
   * `sharedCode`, and its stages as the plan shows them.
   */
  protected assemble(
    stages: codepipeline.StageProps[],
    sourceAction: actions.CodeStarConnectionsSourceAction,
    sharedCode: readonly string[],
  ): { pipeline: codepipeline.Pipeline; stages: PipelineStageSummary[] } {
    const pipeline = this.parts.pipeline(
      this.names.pipeline,
      stages,
      this.parts.trigger(sourceAction, [`${this.folder}/**`, ...sharedCode]),
    );
    return { pipeline, stages: stageSummaries(stages) };
  }
}

/**
 * What the step that records a release passes the steps function: the environment's release
 * ledger, the workload's name there, its configuration path and the commit the source read.
 */
export function ledgerParameters(env: EnvironmentConfig, name: string) {
  return {
    table: ledgerTableName(env.prefix, env.name),
    name,
    configurationPath: new Naming(env.prefix, env.name).pathPrefix,
    // The source action's variables namespace (PipelineParts.source).
    commit: '#{SourceVariables.CommitId}',
  };
}
