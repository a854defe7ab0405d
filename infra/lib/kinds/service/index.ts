import { artifactStoreBucketName, pipelineNames, serviceTarget, WORKLOAD_KINDS } from '@ias/targets';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { WorkloadKind, Workloads } from '../kind';
import { ContainerService } from './container-service';
import { servicePlanLines, serviceDeployWords } from './plan';
import { ServicePipelineStack } from './service-pipeline-stack';
import { pipelinePerWorkload, stackPerWorkload } from '../per-workload';
import { ServiceStack } from './service-stack';

const { id, stackId } = WORKLOAD_KINDS.service;

const servicesOf = (workloads: Workloads) => workloads.services ?? [];

/**
 * Container services on Amazon ECS: an image repository each in the foundation stack, the image
 * parameter its pipeline writes in the config stack, and a stack per service and environment
 * (`svc-<name>`: load balancer, Fargate service, scaling, alarms, deployment) after the config
 * stack; one pipeline per service.
 */
export const SERVICE_WORKLOAD: WorkloadKind<ServiceStack, ServicePipelineStack> = {
  id,
  workloadsKey: 'services',
  definitions: servicesOf,
  // Its image parameter and the database settings it injects live in the config stack.
  after: 'configuration',
  imageRepositories: (workloads) => servicesOf(workloads).map((s) => s.name),
  // Written by each service's pipeline after a delivery; the service stack reads it, so
  // re-deploying the infrastructure keeps the running image. CloudFormation sets it once.
  parameters: (workloads, naming) =>
    Object.fromEntries(
      servicesOf(workloads).map((service) => [
        `services/${service.name}/image`,
        {
          value: 'none',
          description: `Image ${naming.name(service.name)} runs, written by its pipeline (none: not delivered yet)`,
        },
      ]),
    ),

  addStacks: (stage, workloads, env) =>
    stackPerWorkload(servicesOf(workloads), env, (definition) => {
      const { config, naming } = env;
      const target = serviceTarget(config, definition);
      return new ServiceStack(stage, stackId(definition.name), {
        config,
        naming,
        stackName: target.stackName,
        description: `${naming.base}: container service ${definition.name}: load balancer, Fargate service, scaling, alarms, ${config.profile.service.deployment.strategy}`,
        definition,
        vpc: env.network.vpc,
        cluster: env.network.cluster,
        appSecurityGroup: env.network.appSecurityGroup,
        database: env.data.database,
        repository: env.foundation.repositories.get(definition.name) as ecr.IRepository,
        publicImages: env.foundation.publicImages,
        encryptionKey: env.foundation.key,
        alarmTopic: env.observability.alarmTopic,
        accessLogBucket: env.foundation.accessLogBucket,
        deliveryCode: env.deliveryCode,
      });
    }),

  addPipelines: (stage, workloads, context) =>
    pipelinePerWorkload(
      servicesOf(workloads),
      context,
      (definition, { id, stackName, pipeline, promotion }) => {
        const description = `${pipeline}: container delivery of ${definition.name}, ${promotion}`;
        return new ServicePipelineStack(stage, id, {
          ...context,
          stackName,
          description,
          definition,
          kubernetes: workloads.kubernetes,
          ec2: workloads.ec2,
        });
      },
    ),

  deliveryAccess(stack, env, workloads, toolingAccount) {
    const services = servicesOf(workloads);
    const targets = services.map((s) => serviceTarget(env, s));
    const artifactStore = (name: string) =>
      artifactStoreBucketName(pipelineNames(env.prefix, name).artifactStore, toolingAccount);
    if (targets.length === 0) {
      return {
        pipelineRoles: [],
        steps: [],
        deploy: [],
        deployAcknowledgements: [],
        stackNames: [],
        acknowledgements: [],
      };
    }
    return {
      pipelineRoles: services.flatMap((s) => {
        const names = pipelineNames(env.prefix, s.name);
        return [names.steps, names.pipeline];
      }),
      steps: ServiceStack.deliverStatements(stack, targets),
      // CodePipeline's ECS and CodeDeploy-to-ECS actions, run as the delivery role.
      deploy: [
        ...ContainerService.deployStatements(stack, targets),
        // The pipelines' artifacts, in the tooling account's stores, through S3 only.
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: targets.map((s) => `arn:${stack.partition}:s3:::${artifactStore(s.containerName)}/*`),
        }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: [`arn:${stack.partition}:kms:${stack.region}:${toolingAccount}:key/*`],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      ],
      wildcardReason: ContainerService.DEPLOY_WILDCARD_REASON,
      deployAcknowledgements: [
        ...targets.map((s) => ({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::${artifactStore(s.containerName)}/*]`,
          reason: "The objects of this service's pipeline artifact store in the tooling account, read-only",
        })),
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:kms:${stack.region}:${toolingAccount}:key/*]`,
          reason:
            "The tooling account's pipeline key, for decryption through S3 only (kms:ViaService); its ID is not known in this account",
        },
      ],
      stackNames: targets.map((t) => t.stackName),
      acknowledgements: [],
    };
  },

  githubDeploy(stack, env, workloads) {
    const targets = servicesOf(workloads).map((s) => serviceTarget(env, s));
    const wildcardReason = `${ContainerService.DEPLOY_WILDCARD_REASON}; ecr:GetAuthorizationToken, which AWS does not scope`;
    if (targets.length === 0) {
      return { statements: [], wildcardReason };
    }
    return {
      statements: [
        ...ContainerService.deployStatements(stack, targets),
        ...ContainerService.inFlightStatements(stack, targets),
        // ecs-deploy.yml's gate reads the scan of the digest it pushed before deploying it.
        ...ServiceStack.scanReadStatements(stack, targets),
        new iam.PolicyStatement({
          actions: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:BatchGetImage',
            'ecr:CompleteLayerUpload',
            'ecr:DescribeImages',
            'ecr:GetDownloadUrlForLayer',
            'ecr:InitiateLayerUpload',
            'ecr:PutImage',
            'ecr:UploadLayerPart',
          ],
          resources: targets.map((s) =>
            stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: s.repositoryName }),
          ),
        }),
        new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['ssm:PutParameter', 'ssm:GetParameter'],
          resources: targets.map((s) => ServiceStack.imageParameterArn(stack, s)),
        }),
      ],
      wildcardReason,
      acknowledgements: ContainerService.inFlightAcknowledgements(stack, targets),
    };
  },

  planLines: (env, workloads) => servicePlanLines(env, servicesOf(workloads)),
  planDeployWords: serviceDeployWords,
};
