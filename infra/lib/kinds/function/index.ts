import { functionTarget, pipelineNames, WORKLOAD_KINDS } from '@ias/targets';
import type { Stage } from 'aws-cdk-lib';
import type { WorkloadKind, Workloads } from '../kind';
import { FunctionStack } from './function-stack';
import { functionCheckStatements, functionStepStatements } from './grants';
import { LambdaPipelineStack } from './lambda-pipeline-stack';
import { functionDeployWords, functionPlanLines } from './plan';
import { bootstrapOf } from '../../stacks/bootstrap';
import { ackAccount } from '../../aspects/acknowledgements';

const { id, stackId } = WORKLOAD_KINDS.function;

const functionsOf = (workloads: Workloads) => workloads.functions ?? [];

/**
 * Lambda functions: a stack per function and environment (`fn-<name>`: definition, alias `live`,
 * trigger, alarms, CodeDeploy group) after the deployment stack, whose hooks and configuration it
 * names; one pipeline per function (seed 003).
 */
export const FUNCTION_WORKLOAD: WorkloadKind<FunctionStack, LambdaPipelineStack> = {
  id,
  definitions: functionsOf,
  after: 'deployment',
  imageRepositories: () => [],
  parameters: () => ({}),

  addStacks(stage: Stage, workloads, env) {
    const { config, naming } = env;
    const stacks = new Map<string, FunctionStack>();
    for (const definition of functionsOf(workloads)) {
      const stack = new FunctionStack(stage, stackId(definition.name), {
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
      // The hooks and the custom deployment configuration, named by the group, come first.
      stack.addStackDependency(env.after);
      stacks.set(definition.name, stack);
    }
    return stacks;
  },

  addPipelines(stage, workloads, context) {
    const promotion = context.environments.map((e) => e.name).join(' → ');
    return new Map(
      functionsOf(workloads).map((definition) => {
        const names = pipelineNames(context.prefix, definition.name);
        return [
          definition.name,
          new LambdaPipelineStack(stage, `pipeline-${definition.name}`, {
            ...context,
            stackName: names.stack,
            description: `${names.pipeline}: seed 003's CI/CD pipeline for ${definition.name}, ${promotion}`,
            definition,
          }),
        ];
      }),
    );
  },

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
          ? [...functionCheckStatements(stack, targets), ...functionStepStatements(stack, targets)]
          : [],
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
    return { statements: targets.length > 0 ? functionStepStatements(stack, targets) : [] };
  },

  planLines: (env, workloads) => functionPlanLines(env, functionsOf(workloads)),
  planDeployWords: functionDeployWords,
};
