import { Validations } from 'aws-cdk-lib';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { FunctionDefinition } from '../../config/functions';
import type { EnvironmentConfig } from '../../config/load';
import { judgedLambdaSettings } from '../../config/judged-lambda';
import type { DeliveryFunction } from '../../constructs/delivery-function';
import {
  ledgerParameters,
  WorkloadPipelineStack,
  type WorkloadPipelineStackProps,
} from '../../pipelines/workload-pipeline-stack';
import { DeliveredFunction } from './delivered-function';
import type { PipelineContext } from '../kind';
import { functionTarget, type FunctionTarget } from '@ias/targets';
import { ackAccount } from '../../aspects/acknowledgements';
import { BUILDSPECS, SUPPLY_CHAIN_ARTIFACT } from '../../pipelines/buildspecs';
import { supplyChainGate } from '../../pipelines/supply-chain-gate';

/** Props of {@link LambdaPipelineStack}. */
export interface LambdaPipelineStackProps
  extends WorkloadPipelineStackProps<FunctionDefinition>, PipelineContext {}

/**
 * Seed 003's CI/CD pipeline for one function, promoted through every environment:
 *
 * Source (GitHub through CodeConnections; only changes under the function's folder or the shared
 * code start it) → CheckLambdaFunction (creates the function's stack in the first environment
 * when the function does not exist yet) → Build (CodeBuild: CodeArtifact install, tests, lint,
 * bundle; the zip is built once, with the bundle's npm audit beside it) → per environment:
 * SupplyChainGate (stops on audit findings at or above the environment's threshold), CreateAppSpecFile (updates the code from that
 * zip, publishes a version, writes appspec.yml) and Deploy (a CodeDeploy deployment with the
 * environment's traffic shifting, followed until it succeeds or rolls back; under the `judged`
 * strategy the steps function shifts the alias itself through the profile's steps, each judged by
 * the canary judge); a manual approval before each environment the settings name (prod by default).
 *
 * Its roles (seed 003 §5.1) are scoped to this function's resources: the build role reads and writes
 * only this artifact store and reads packages from CodeArtifact; the steps role updates, publishes
 * and deploys only this function's versions and deployment groups (and, where it deploys judged,
 * moves only this alias and reads only its alarms); CodeDeploy's role (in each function stack)
 * moves only this alias.
 */
export class LambdaPipelineStack extends WorkloadPipelineStack<FunctionDefinition, FunctionTarget> {
  /** The build project (seed 003 §5.2). */
  readonly buildProject: codebuild.PipelineProject;
  /** The project that runs the CheckLambdaFunction step. */
  readonly checkProject: codebuild.PipelineProject;
  /** The function that runs CreateAppSpecFile and Deploy. */
  readonly steps: DeliveryFunction;

  constructor(scope: Construct, id: string, props: LambdaPipelineStackProps) {
    super(scope, id, props, functionTarget);
    const { definition, delivery } = props;
    const { names, targets } = this;

    // --- projects and the steps function -------------------------------------------------------
    this.buildProject = this.parts.project('Build', {
      projectName: names.build,
      buildSpec: BUILDSPECS.build,
      description: `Build project for ${definition.name}: CodeArtifact install, unit tests, lint, bundle and zip (seed 003 §5.2)`,
      environmentVariables: { FUNCTION_NAME: definition.name },
    });
    this.checkProject = this.parts.project('Check', {
      projectName: names.check,
      buildSpec: BUILDSPECS.check,
      description: `CheckLambdaFunction for ${definition.name}: creates the function's stack when the function does not exist`,
      environmentVariables: {
        FUNCTION_NAME: definition.name,
        CFN_EXECUTION_ROLE_ARN: this.parts.bootstrap().execRoleArn,
      },
    });
    this.grantCheck(this.checkProject, targets);

    // The pipeline steps: CreateAppSpecFile and Deploy, on this function's targets only.
    const { role: stepsRole, steps } = this.parts.steps({
      name: names.steps,
      roleDescription: `${names.pipeline}: CreateAppSpecFile and Deploy steps`,
      description: `${names.pipeline}: CreateAppSpecFile (update code, publish, appspec) and Deploy (CodeDeploy, followed to the end)`,
      code: props.deliveryCode,
      targets,
      statements: (local) => DeliveredFunction.deliverStatements(this, local),
    });
    this.steps = steps;
    const deliverWildcards = DeliveredFunction.deliverWildcardReason(targets.filter((t) => !t.roleArn));
    Validations.of(stepsRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: `codepipeline:PutJobSuccessResult/PutJobFailureResult and secretsmanager:ListSecrets (names and version IDs for the release ledger, never values), which AWS does not scope to resources${deliverWildcards ? `; ${deliverWildcards}` : ''}`,
    });

    // --- the pipeline ---------------------------------------------------------------------------
    const check = (env: FunctionTarget, runOrder?: number) =>
      new actions.CodeBuildAction({
        actionName: 'CheckLambdaFunction',
        project: this.checkProject,
        input: this.source,
        runOrder,
        environmentVariables: {
          TARGET_ENV: { value: env.environment },
          ...(env.roleArn ? { DELIVERY_ROLE_ARN: { value: env.roleArn } } : {}),
        },
      });
    // The bundle's dependency audit and the exceptions of its revision, beside the package.
    const supplyChain = new codepipeline.Artifact(SUPPLY_CHAIN_ARTIFACT);
    const stagesProps = this.sourceAndBuild(
      this.buildProject,
      [{ stageName: 'CheckLambdaFunction', actions: [check(targets[0] as FunctionTarget)] }],
      [supplyChain],
    );
    const timeoutMinutes = delivery.deploymentTimeoutMinutes;
    targets.forEach((target, i) => {
      const env = props.environments[i] as EnvironmentConfig;
      const approval = this.parts.approval(
        env,
        `Promote ${definition.name} to ${env.name}: the same zip that passed ${targets
          .slice(0, i)
          .map((t) => t.environment)
          .join(' and ')}`,
      );
      if (approval) {
        stagesProps.push(approval);
      }
      const appSpec = new codepipeline.Artifact(`AppSpec_${env.name}`);
      const parameters = (step: 'create-appspec' | 'deploy') => ({
        step,
        environment: target.environment,
        functionName: target.functionName,
        alias: target.alias,
        application: target.application,
        deploymentGroup: target.deploymentGroup,
        hooks: target.hooks,
        timeoutMinutes,
        roleArn: target.roleArn,
      });
      const ledger = ledgerParameters(env, target.functionName);
      // First, the bundle's audit against this environment's threshold: nothing deploys past it.
      const stageActions: codepipeline.IAction[] = [
        supplyChainGate(this.steps.function, supplyChain, env, {
          environment: target.environment,
          workload: definition.name,
          roleArn: target.roleArn,
          account: target.account,
        }),
      ];
      // The first environment was checked before the build; later ones right before their deploy.
      if (i > 0) {
        stageActions.push(check(target, 2));
      }
      stageActions.push(
        new actions.LambdaInvokeAction({
          actionName: 'CreateAppSpecFile',
          lambda: this.steps.function,
          inputs: [this.built],
          outputs: [appSpec],
          userParameters: parameters('create-appspec'),
          variablesNamespace: `AppSpec-${env.name}`,
          runOrder: i > 0 ? 3 : 2,
        }),
        new actions.LambdaInvokeAction({
          actionName: 'Deploy',
          lambda: this.steps.function,
          inputs: [appSpec],
          // CodeDeploy's deployment of the appspec, or under `judged` the step that shifts the alias
          // itself: CodePipeline re-invokes it with its continuation token, up to a Lambda invoke
          // action's 24 hours, longer than any judged time-out (JUDGED_MAX_TIMEOUT_MINUTES).
          userParameters: judgedDeployParameters(env, target, ledger) ?? {
            ...parameters('deploy'),
            ledger,
          },
          runOrder: i > 0 ? 4 : 3,
        }),
      );
      stagesProps.push({ stageName: `Deploy-${env.name}`, actions: stageActions });
    });

    this.assemble(stagesProps, SHARED_CODE);
    this.acknowledgeGrants(targets);
  }

  /**
   * The CheckLambdaFunction project: in the pipelines' own account, look up each target function
   * and create its stack if missing; in another account, only assume that environment's role.
   */
  private grantCheck(checkProject: codebuild.PipelineProject, targets: readonly FunctionTarget[]): void {
    const local = targets.filter((t) => !t.roleArn);
    if (local.length > 0) {
      DeliveredFunction.checkStatements(this, local).forEach((st) => checkProject.addToRolePolicy(st));
    }
    this.grantAssume(checkProject.role as iam.IRole, targets);
  }

  /** Assuming the delivery roles of the environments in other accounts, and only those. */
  private grantAssume(role: iam.IRole, targets: readonly FunctionTarget[]): void {
    const remote = targets.flatMap((t) => (t.roleArn ? [t.roleArn] : []));
    if (remote.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: remote }));
    }
  }

  /** The wildcard findings of aws-cdk-lib's grants and of the check project's own. */
  private acknowledgeGrants(targets: readonly FunctionTarget[]): void {
    this.parts.acknowledgeGrants(this.pipeline, [this.buildProject, this.checkProject], this.steps.function);
    const { qualifier } = this.parts.bootstrap();
    Validations.of(this.checkProject.role ?? this.checkProject).acknowledge(
      ...targets.map((t) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:cloudformation:${this.region}:${ackAccount(this)}:stack/${t.stackName}/*]`,
        reason:
          'This function’s stack in one environment; the wildcard is the stack ID CloudFormation appends',
      })),
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-${ackAccount(this)}-${this.region}/*]`,
        reason:
          'Read-only check that the stack’s file assets are already published in the CDK bootstrap bucket',
      },
    );
  }
}

/**
 * The Deploy action's UserParameters under a judged strategy (the `judged-deploy` step): the
 * release's function and alias, the profile's steps and judging, a time-out that fits the bakes, and
 * the function's rollback alarms (those of its CodeDeploy group); undefined under CodeDeploy's.
 */
export function judgedDeployParameters(
  env: EnvironmentConfig,
  target: FunctionTarget,
  ledger: ReturnType<typeof ledgerParameters>,
) {
  const judged = judgedLambdaSettings(env.profile.lambda);
  if (!judged) {
    return undefined;
  }
  return {
    step: 'judged-deploy',
    environment: target.environment,
    functionName: target.functionName,
    alias: target.alias,
    steps: judged.steps,
    analysis: judged.analysis,
    timeoutMinutes: judged.timeoutMinutes,
    alarms: target.alarms,
    roleArn: target.roleArn,
    ledger,
  };
}

/** Code every function shares: a change there starts every function's pipeline. */
export const SHARED_CODE = ['app/functions/common/**', 'app/core/**'] as const;
