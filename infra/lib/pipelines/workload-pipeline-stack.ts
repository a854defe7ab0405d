import { Stack, type StackProps } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ledgerTableName, Naming, pipelineNames } from '@ias/targets';
import type { EnvironmentConfig } from '../config/load';
import { gatedSbomLocation, SOURCE_COMMIT } from './supply-chain-gate';
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
  /** The source revision, which the build and the kind's checks read. */
  protected readonly source = new codepipeline.Artifact('SourceOutput');
  /** What the build writes for every environment (the zip, the image's task definitions). */
  protected readonly built = new codepipeline.Artifact('BuildOutput');
  private readonly sourceAction: actions.CodeStarConnectionsSourceAction;
  private assembled?: { readonly pipeline: codepipeline.Pipeline; readonly stages: PipelineStageSummary[] };

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
    this.sourceAction = this.parts.source(this.source);
  }

  /**
   * The Source stage, the stages the kind runs before its build (`before`), and the Build stage:
   * `buildProject` on the source, writing {@link built} and `moreOutputs`.
   */
  protected sourceAndBuild(
    buildProject: codebuild.IProject,
    before: readonly codepipeline.StageProps[] = [],
    moreOutputs: readonly codepipeline.Artifact[] = [],
  ): codepipeline.StageProps[] {
    return [
      { stageName: 'Source', actions: [this.sourceAction] },
      ...before,
      {
        stageName: 'Build',
        actions: [
          new actions.CodeBuildAction({
            actionName: 'Build',
            project: buildProject,
            input: this.source,
            outputs: [this.built, ...moreOutputs],
          }),
        ],
      },
    ];
  }

  /** The pipeline. */
  get pipeline(): codepipeline.Pipeline {
    return this.result().pipeline;
  }

  /** Stage and action names, in order. */
  get stages(): readonly PipelineStageSummary[] {
    return this.result().stages;
  }

  /**
   * Builds the pipeline of these stages, started by a push that changes the workload's folder or
   * one of `sharedCode`. Each kind calls it once, when its stages are complete.
   */
  protected assemble(
    stages: codepipeline.StageProps[],
    sharedCode: readonly string[],
  ): codepipeline.Pipeline {
    if (this.assembled) {
      throw new Error(`${this.node.path}: the pipeline is already assembled`);
    }
    const pipeline = this.parts.pipeline(
      this.names.pipeline,
      stages,
      this.parts.trigger(this.sourceAction, [`${this.folder}/**`, ...sharedCode]),
    );
    this.assembled = { pipeline, stages: stageSummaries(stages) };
    return pipeline;
  }

  private result(): NonNullable<typeof this.assembled> {
    if (!this.assembled) {
      throw new Error(`${this.node.path}: the pipeline is read before its stack assembled it`);
    }
    return this.assembled;
  }
}

/**
 * What the step that records a release passes the steps function: the environment's release
 * ledger, the workload's name there, its configuration path, the commit the source read and where
 * the stage's supply-chain gate stored the artifact's SBOM (its output variables).
 */
export function ledgerParameters(env: EnvironmentConfig, name: string) {
  return {
    table: ledgerTableName(env.prefix, env.name),
    name,
    configurationPath: new Naming(env.prefix, env.name).pathPrefix,
    // The source action's variables namespace (PipelineParts.source).
    commit: SOURCE_COMMIT,
    sbom: gatedSbomLocation(env),
  };
}
