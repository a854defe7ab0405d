import {
  functionTarget,
  LAMBDA_STRATEGIES,
  pipelineNames,
  WORKLOAD_KINDS,
  type FunctionTarget,
} from '@ias/targets';
import type { WorkloadKind, Workloads } from '../kind';
import { FunctionStack } from './function-stack';
import { DeliveredFunction } from './delivered-function';
import { LambdaPipelineStack } from './lambda-pipeline-stack';
import { pipelinePerWorkload, stackPerWorkload } from '../per-workload';
import { functionDeployWords, functionPlanLines } from './plan';
import { bootstrapOf } from '../../stacks/arns';
import { ackAccount } from '../../aspects/acknowledgements';

const { id, stackId } = WORKLOAD_KINDS.function;

const functionsOf = (workloads: Workloads) => workloads.functions ?? [];

/**
 * The roles' wildcard reason when a target deploys judged (its GetMetricData), with the release
 * ledger's ListSecrets, which the roles hold too; undefined otherwise (the ledger's own reason then).
 */
function judgedWildcardReason(targets: readonly FunctionTarget[]): string | undefined {
  const reason = targets.some((t) => LAMBDA_STRATEGIES[t.strategy].controller === 'PIPELINE')
    ? DeliveredFunction.deliverWildcardReason(targets)
    : undefined;
  return (
    reason &&
    `${reason}; secretsmanager:ListSecrets for the release ledger (names and version IDs, never values), which AWS does not scope`
  );
}

/**
 * Lambda functions: a stack per function and environment (`fn-<name>`: definition, alias `live`,
 * trigger, alarms, CodeDeploy group) after the deployment stack, whose hooks and configuration it
 * names; one pipeline per function (seed 003).
 */
export const FUNCTION_WORKLOAD: WorkloadKind<FunctionStack, LambdaPipelineStack> = {
  id,
  workloadsKey: 'functions',
  definitions: functionsOf,
  // The hooks and the custom deployment configuration, named by the group, come first.
  after: 'deployment',
  imageRepositories: () => [],
  parameters: () => ({}),

  addStacks: (stage, workloads, env) =>
    stackPerWorkload(functionsOf(workloads), env, (definition) => {
      const { config, naming } = env;
      return new FunctionStack(stage, stackId(definition.name), {
        config,
        naming,
        stackName: naming.stackName(stackId(definition.name)),
        description: `${naming.base}: Lambda function ${definition.name}: definition, alias live, trigger, alarms, CodeDeploy group`,
        definition,
        vpc: env.network.vpc,
        appSecurityGroup: env.network.appSecurityGroup,
        database: env.data.database,
        encryptionKey: env.foundation.key,
        alarmTopic: env.observability.alarmTopic,
        accessLogBucket: env.foundation.accessLogBucket,
        eventBus: env.foundation.eventBus,
      });
    }),

  addPipelines: (stage, workloads, context) =>
    pipelinePerWorkload(
      functionsOf(workloads),
      context,
      (definition, { id, stackName, pipeline, promotion }) => {
        const description = `${pipeline}: seed 003's CI/CD pipeline for ${definition.name}, ${promotion}`;
        return new LambdaPipelineStack(stage, id, { ...context, stackName, description, definition });
      },
    ),

  deliveryAccess(stack, env, workloads) {
    const functions = functionsOf(workloads);
    const targets = functions.map((f) => functionTarget(env, f));
    const { qualifier } = bootstrapOf(stack);
    return {
      pipelineRoles: functions.flatMap((f) => {
        const names = pipelineNames(env.prefix, f.name);
        return [names.steps, names.check];
      }),
      steps:
        targets.length > 0
          ? [
              ...DeliveredFunction.checkStatements(stack, targets),
              ...DeliveredFunction.deliverStatements(stack, targets),
            ]
          : [],
      // Only where a judged function needs it: CodeDeploy's StopDeployment alone was always covered
      // by the ledger's reason (the roles' other wildcard).
      wildcardReason: judgedWildcardReason(targets),
      deploy: [],
      deployAcknowledgements: [],
      stackNames: targets.map((t) => t.stackName),
      acknowledgements:
        targets.length > 0
          ? [
              {
                id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-${ackAccount(stack)}-${stack.region}/*]`,
                reason:
                  'Read-only check that a function stack’s file assets are published in the CDK bootstrap bucket',
              },
            ]
          : [],
    };
  },

  githubDeploy(stack, env, workloads) {
    const targets = functionsOf(workloads).map((f) => functionTarget(env, f));
    return {
      statements:
        targets.length > 0
          ? [
              ...DeliveredFunction.deliverStatements(stack, targets),
              ...DeliveredFunction.inFlightStatements(stack, targets),
            ]
          : [],
      wildcardReason: judgedWildcardReason(targets),
    };
  },

  planLines: (env, workloads) => functionPlanLines(env, functionsOf(workloads)),
  planDeployWords: functionDeployWords,
};
