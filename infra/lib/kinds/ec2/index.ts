import {
  EC2_REVISION_KEY_PREFIX,
  ec2Target,
  environmentArtifactBucketName,
  Naming,
  WORKLOAD_KINDS,
} from '@ias/targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ackAccount } from '../../aspects/acknowledgements';
import type { WorkloadKind, Workloads } from '../kind';
import { stackPerWorkload } from '../per-workload';
import { Ec2ApplicationStack } from './ec2-application-stack';
import { ec2DeployStatements, ec2RecordStatement } from './pipeline-action';
import { ec2DeployWords, ec2PlanLines } from './plan';

const { stackId } = WORKLOAD_KINDS.ec2;

const appsOf = (workloads: Workloads) => workloads.ec2 ?? [];

/**
 * EC2 applications (seed 001): where the profile turns EC2 on and a service folder holds an
 * `ec2.json`, one stack per application (`ec2-<name>`: load balancer, fleet, monitoring, CodeDeploy)
 * after the config stack. They run the bundle of the image the service's pipeline builds (build
 * once): the service's pipeline deploys them too, by CodePipeline's CodeDeploy action; the kind has no
 * pipeline of its own.
 */
export const EC2_WORKLOAD: WorkloadKind<Ec2ApplicationStack> = {
  id: 'ec2',
  workloadsKey: 'ec2',
  definitions: appsOf,
  // The parameters its instances read live in the config stack.
  after: 'configuration',
  imageRepositories: () => [],
  parameters: () => ({}),

  addStacks(stage, workloads, env) {
    const { config, naming } = env;
    if (!config.profile.ec2.enabled) return new Map();
    return stackPerWorkload(appsOf(workloads), env, (definition) => {
      const target = ec2Target(config, definition);
      return new Ec2ApplicationStack(stage, stackId(definition.name), {
        config,
        naming,
        stackName: target.stackName,
        description: `${naming.base}: EC2 application ${definition.name}: load balancer, Auto Scaling group, CodeDeploy ${target.style}, monitoring`,
        definition,
        vpc: env.network.vpc,
        appSecurityGroup: env.network.appSecurityGroup,
        database: env.data.database,
        alarmTopic: env.observability.alarmTopic,
        encryptionKey: env.foundation.key,
        accessLogBucket: env.foundation.accessLogBucket,
        deliveryCode: env.deliveryCode,
        toolingAccount: env.toolingAccount,
        pipelineRegion: env.pipelineRegion,
      });
    });
  },

  // The service's pipeline deploys it, with the revision its build makes.
  ownPipelines: false,
  addPipelines: () => new Map(),

  deliveryAccess(stack, env, workloads, toolingAccount) {
    const targets = env.profile.ec2.enabled
      ? appsOf(workloads).map((a) => ec2Target(env, a, toolingAccount))
      : [];
    const enabled = targets.length > 0;
    return {
      pipelineRoles: [],
      steps: enabled ? [ec2RecordStatement(stack, targets)] : [],
      // CodePipeline's CodeDeploy action, run as the delivery role (it reads the revision from the
      // artifact store with the grants the service kind gives that role).
      deploy: enabled ? ec2DeployStatements(stack, targets) : [],
      deployAcknowledgements: [],
      stackNames: targets.map((t) => t.stackName),
      acknowledgements: [],
    };
  },

  // What `ias-ops deploy ec2` calls (ecs-deploy.yml): the group and its deployments in flight, the
  // revision zip uploaded under ec2/<app>/ of the environment's artifact bucket, then the deployment,
  // as CodePipeline's CodeDeploy action makes it, followed to its end.
  githubDeploy(stack, env, workloads) {
    const targets = env.profile.ec2.enabled ? appsOf(workloads).map((a) => ec2Target(env, a)) : [];
    if (targets.length === 0) return { statements: [] };
    const naming = new Naming(env.prefix, env.name);
    // The role lives in the environment's account, as the bucket does.
    const revisions = (account: string, partition: string) =>
      targets.map(
        (t) =>
          `arn:${partition}:s3:::${environmentArtifactBucketName(naming, account, stack.region)}/${EC2_REVISION_KEY_PREFIX}${t.app}/*`,
      );
    const groups = ec2RecordStatement(stack, targets);
    groups.addActions('codedeploy:ListDeployments');
    return {
      statements: [
        ...ec2DeployStatements(stack, targets),
        groups,
        new iam.PolicyStatement({
          actions: ['s3:PutObject'],
          resources: revisions(stack.account, stack.partition),
        }),
        // The bucket encrypts with the environment key: S3 uses it on the uploader's behalf.
        // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      ],
      acknowledgements: revisions(ackAccount(stack), 'aws').map((arn) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${arn}]`,
        reason:
          "Uploading the application's EC2 revisions under ec2/<app>/ of the environment's artifact bucket (ias-ops deploy ec2), write only",
      })),
    };
  },

  planLines: (env, workloads) => ec2PlanLines(env, appsOf(workloads)),
  planDeployWords: ec2DeployWords,
};
