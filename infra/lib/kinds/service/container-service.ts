import {
  CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  TimeZone,
  Validations,
  type CfnCondition,
} from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct, type IConstruct } from 'constructs';
import { type ServiceProfile } from '../../config/service-profile-schema';
import { SERVICE_STRATEGIES, type ServiceStrategyTraits, type ServiceTarget } from '@ias/targets';
import { placement, SubnetGroup } from '../../constructs/network';
import type { ServiceLoadBalancer } from './service-load-balancer';
import type { PublicImageCache } from '../../constructs/public-image-cache';
import { TraceCollector } from './trace-collector';
import { codeDeployArn } from '../../stacks/arns';
import { ackAccount } from '../../aspects/acknowledgements';

/** Props of {@link ContainerService}. */
export interface ContainerServiceProps {
  /** `<prefix>-<env>-<service>`: the service, task family and log group name. */
  readonly name: string;
  /** The container's name (the service folder's name). */
  readonly containerName: string;
  readonly cluster: ecs.ICluster;
  readonly vpc: ec2.IVpc;
  /** The workloads' security group (reaches the database); the balancer is opened to it. */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly loadBalancer: ServiceLoadBalancer;
  /** The environment's service settings: size, scaling, strategy. */
  readonly profile: ServiceProfile;
  /** The port the container listens on. */
  readonly containerPort: number;
  /** The image the task runs (from the `ImageUri` parameter: the pipeline's last deployed image). */
  readonly imageUri: string;
  /** The repository the image is pulled from (the execution role may pull from it only). */
  readonly repository: ecr.IRepository;
  /** Tracing: where the collector's image is cached, and the share of requests traced. */
  readonly tracing: { readonly images: PublicImageCache; readonly samplingPercent: number };
  /** Plain settings. */
  readonly environment: Readonly<Record<string, string>>;
  /** Settings from Secrets Manager (JSON fields) and SSM parameters, injected at task start. */
  readonly secrets: Readonly<Record<string, ecs.Secret>>;
  /** The secrets and parameters behind {@link secrets}, which the execution role may read. */
  readonly secretSources: {
    readonly secrets: readonly secretsmanager.ISecret[];
    readonly parameters: readonly ssm.IParameter[];
  };
  /** Key of the log group. */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly retainData: boolean;
  /**
   * The service exists only when this condition holds: while the image parameter says `none`
   * (never delivered), there is no image to run, so no service, scaling or deployment group.
   */
  readonly delivered: CfnCondition;
  /** Alarms that roll back an Amazon ECS deployment (ecs-* and rolling strategies). */
  readonly deploymentAlarms: readonly cloudwatch.IAlarm[];
  /** The function that checks the green side before production traffic moves (ecs-* strategies). */
  readonly greenCheck?: lambda.IFunction;
  /**
   * The function that waits for the environment's canary once production traffic has moved (ecs-*
   * strategies): the service's POST_PRODUCTION_TRAFFIC_SHIFT hook.
   * @default - no canary gate
   */
  readonly canaryGate?: lambda.IFunction;
}

/**
 * The strategies Amazon ECS itself runs (deployment controller ECS, blue/green kind): its strategy,
 * and the service property that holds its steps (linear and canary only).
 */
const ECS_NATIVE: Readonly<
  Record<
    NonNullable<ServiceStrategyTraits['ecsNative']>,
    { strategy: ecs.DeploymentStrategy; steps?: 'linearConfiguration' | 'canaryConfiguration' }
  >
> = {
  BLUE_GREEN: { strategy: ecs.DeploymentStrategy.BLUE_GREEN },
  LINEAR: { strategy: ecs.DeploymentStrategy.LINEAR, steps: 'linearConfiguration' },
  CANARY: { strategy: ecs.DeploymentStrategy.CANARY, steps: 'canaryConfiguration' },
};

/**
 * One Fargate service (seed 004 §2–3, seed 002): its task definition (size from the profile,
 * ARM64, settings and secrets by reference, awslogs to a log group `cdk destroy` removes, a task
 * role with nothing and an execution role that pulls from this service's repository and reads its
 * secrets only), the service in the private subnets behind the load balancer, deployed by the
 * profile's strategy, and its auto scaling (CPU, memory, requests per task, an optional window).
 *
 * Re-deploying the infrastructure does not fight the pipeline: the image comes from a parameter
 * the pipeline writes after each deployment, so the template always names the running image; with
 * CodeDeploy the service refers to the task family's latest revision (CloudFormation never updates
 * a CODE_DEPLOY service's task definition; CodeDeploy does); and CloudFormation updates one stack
 * at a time, so an infrastructure change waits for a stack update in progress.
 */
export class ContainerService extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly executionRole: iam.Role;
  readonly taskRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The trace collector beside the application. */
  readonly traces: TraceCollector;
  readonly service: ecs.FargateService;
  readonly scaling: ecs.ScalableTaskCount;

  /** CodePipeline's (or a workflow's) ECS and CodeDeploy-to-ECS deploys of these services. */
  /**
   * What `ias-ops deploy service` needs besides {@link deployStatements}, from a workflow: the
   * deployments in flight (CodeDeploy's on the group, Amazon ECS's own on the service), and the tags
   * the family's task definition carries, which ECS authorizes when a revision is registered with them.
   */
  static inFlightStatements(stack: Stack, targets: readonly ServiceTarget[]): iam.PolicyStatement[] {
    const ecsArn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'ecs', resource, resourceName });
    return [
      new iam.PolicyStatement({
        actions: ['codedeploy:ListDeployments'],
        resources: targets.map((s) =>
          codeDeployArn(stack, 'deploymentgroup', `${s.application}/${s.deploymentGroup}`),
        ),
      }),
      new iam.PolicyStatement({
        actions: ['ecs:ListServiceDeployments'],
        resources: targets.map((s) => ecsArn('service', `${s.clusterName}/${s.serviceName}`)),
      }),
      new iam.PolicyStatement({
        actions: ['ecs:DescribeServiceDeployments'],
        resources: targets.map((s) => ecsArn('service-deployment', `${s.clusterName}/${s.serviceName}/*`)),
      }),
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: targets.map((s) => ecsArn('task-definition', `${s.family}:*`)),
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
    ];
  }

  /** The policy-gate findings of {@link inFlightStatements}' patterns, each with its reason. */
  static inFlightAcknowledgements(
    stack: Stack,
    targets: readonly ServiceTarget[],
  ): { id: string; reason: string }[] {
    const account = ackAccount(stack);
    return targets.flatMap((s) => [
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:ecs:${stack.region}:${account}:service-deployment/${s.clusterName}/${s.serviceName}/*]`,
        reason: "This service's deployments, which Amazon ECS names by an ID it assigns when each one starts",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:ecs:${stack.region}:${account}:task-definition/${s.family}:*]`,
        reason:
          "Tagging this service's task definition revisions as they are registered (ecs:CreateAction RegisterTaskDefinition only); the revision number is not known before",
      },
    ]);
  }

  static deployStatements(stack: Stack, targets: readonly ServiceTarget[]): iam.PolicyStatement[] {
    const codedeploy = (resource: Parameters<typeof codeDeployArn>[1], name: string) =>
      codeDeployArn(stack, resource, name);
    return [
      new iam.PolicyStatement({
        actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
        resources: targets.map((s) =>
          stack.formatArn({
            service: 'ecs',
            resource: 'service',
            resourceName: `${s.clusterName}/${s.serviceName}`,
          }),
        ),
      }),
      new iam.PolicyStatement({
        // Task definitions are registered before they have an ARN; AWS does not scope these.
        actions: [
          'ecs:RegisterTaskDefinition',
          'ecs:DescribeTaskDefinition',
          'ecs:DescribeTasks',
          'ecs:ListTasks',
        ],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: ['*'],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
      new iam.PolicyStatement({
        actions: [
          'codedeploy:CreateDeployment',
          'codedeploy:GetDeployment',
          'codedeploy:GetApplication',
          'codedeploy:GetApplicationRevision',
          'codedeploy:GetDeploymentGroup',
          'codedeploy:RegisterApplicationRevision',
          'codedeploy:GetDeploymentConfig',
        ],
        resources: [
          ...targets.flatMap((s) => [
            codedeploy('application', s.application),
            codedeploy('deploymentgroup', `${s.application}/${s.deploymentGroup}`),
          ]),
          ...[...new Set(targets.map((s) => s.deploymentConfig))].map((name) =>
            codedeploy('deploymentconfig', name),
          ),
        ],
      }),
    ];
  }

  /** The reason to give for the unscoped resources of {@link ContainerService.deployStatements}. */
  static readonly DEPLOY_WILDCARD_REASON =
    'ecs:RegisterTaskDefinition/DescribeTaskDefinition/DescribeTasks/ListTasks (not scoped by AWS), iam:PassRole only to ecs-tasks.amazonaws.com, for the ECS deploys, secretsmanager:ListSecrets for the release ledger (names and version IDs, never values), and with enhanced scanning inspector2:ListFindings (no resource type) for the supply-chain gate';

  constructor(scope: Construct, id: string, props: ContainerServiceProps) {
    super(scope, id);
    const { profile, loadBalancer } = props;
    const strategy = profile.deployment.strategy;
    const traits = SERVICE_STRATEGIES[strategy];
    const codeDeploy = traits.controller === 'CODE_DEPLOY';
    const native = traits.ecsNative ? ECS_NATIVE[traits.ecsNative] : undefined;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/ecs/${props.name}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${props.name}: pull the image, read the settings, write the logs`,
    });
    props.repository.grantPull(this.executionRole);
    props.secretSources.secrets.forEach((s) => s.grantRead(this.executionRole));
    props.secretSources.parameters.forEach((p) => p.grantRead(this.executionRole));
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${props.name}: the application's own AWS permissions (none: it talks to PostgreSQL only)`,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: props.name,
      cpu: profile.cpu,
      memoryLimitMiB: profile.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      executionRole: this.executionRole,
      taskRole: this.taskRole,
    });
    const application = this.taskDefinition.addContainer('Container', {
      containerName: props.containerName,
      image: ecs.ContainerImage.fromRegistry(props.imageUri),
      essential: true,
      portMappings: [{ containerPort: props.containerPort, protocol: ecs.Protocol.TCP }],
      environment: { ...props.environment },
      secrets: { ...props.secrets },
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: props.containerName,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      }),
      stopTimeout: Duration.seconds(30),
      readonlyRootFilesystem: true,
      // The image's `node` user (USER node in the Dockerfile), never root.
      user: '1000',
      memoryLimitMiB: profile.memoryMiB,
    });
    this.traces = new TraceCollector(this, 'Traces', {
      taskDefinition: this.taskDefinition,
      application,
      serviceName: props.name,
      images: props.tracing.images,
      logGroup: this.logGroup,
      samplingPercent: props.tracing.samplingPercent,
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions::AwsSolutions-ECS2',
      reason:
        'Only plain settings (NODE_ENV, PORT, PGSSLMODE, the CA path, the manifest environment, the OpenTelemetry settings and the collector configuration); credentials and endpoints come from Secrets Manager and SSM',
    });
    Validations.of(this.executionRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, which AWS does not scope to a repository; pulls are scoped to this repository',
    });

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: props.name,
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: profile.desiredCount,
      ...placement(SubnetGroup.PRIVATE, props.securityGroup),
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      deploymentController: {
        type: codeDeploy ? ecs.DeploymentControllerType.CODE_DEPLOY : ecs.DeploymentControllerType.ECS,
      },
      // CodeDeploy registers the revisions it deploys; CloudFormation names only the family.
      taskDefinitionRevision: codeDeploy ? ecs.TaskDefinitionRevision.LATEST : undefined,
      circuitBreaker: traits.blueGreen ? undefined : { enable: true, rollback: true },
      deploymentStrategy: native?.strategy,
      bakeTime: native ? Duration.minutes(profile.deployment.bakeMinutes) : undefined,
      ...(native?.steps
        ? {
            [native.steps]: {
              stepPercent: profile.deployment.stepPercent,
              stepBakeTime: Duration.minutes(profile.deployment.stepMinutes),
            },
          }
        : {}),
      deploymentAlarms: codeDeploy
        ? undefined
        : {
            alarmNames: props.deploymentAlarms.map((a) => a.alarmName),
            behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
          },
    });
    // Both rules here, in the service's stack: the workloads' group lives in the network stack,
    // which must not refer to this one.
    loadBalancer.securityGroup.addEgressRule(
      props.securityGroup,
      ec2.Port.tcp(props.containerPort),
      'To the service tasks',
    );
    new ec2.CfnSecurityGroupIngress(this, 'FromLoadBalancer', {
      groupId: props.securityGroup.securityGroupId,
      sourceSecurityGroupId: loadBalancer.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: props.containerPort,
      toPort: props.containerPort,
      description: `${props.name}: from its load balancer`,
    });

    if (native) {
      const { green, productionRule, testRule } = loadBalancer;
      if (!green || !productionRule || !testRule) {
        throw new Error(`${props.name}: ${strategy} needs the green target group and listener rules`);
      }
      this.service
        .loadBalancerTarget({
          containerName: props.containerName,
          containerPort: props.containerPort,
          alternateTarget: new ecs.AlternateTarget('Green', {
            alternateTargetGroup: green,
            productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(productionRule),
            testListener: ecs.ListenerRuleConfiguration.applicationListenerRule(testRule),
          }),
        })
        .attachToApplicationTargetGroup(loadBalancer.blue);
      if (props.greenCheck) {
        this.service.addLifecycleHook(
          new ecs.DeploymentLifecycleLambdaTarget(props.greenCheck, 'GreenCheck', {
            lifecycleStages: [ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT],
          }),
        );
      }
      if (props.canaryGate) {
        this.service.addLifecycleHook(
          new ecs.DeploymentLifecycleLambdaTarget(props.canaryGate, 'CanaryGate', {
            lifecycleStages: [ecs.DeploymentLifecycleStage.POST_PRODUCTION_TRAFFIC_SHIFT],
          }),
        );
      }
      const pause = profile.deployment.pause;
      if (pause) {
        // The L2 knows Lambda hooks only; a pause hook has no target, and ECS waits for
        // ContinueServiceDeployment (ias-ops deployments continue|stop) or the timeout. It goes
        // after the Lambda hooks the L2 renders.
        const index = [props.greenCheck, props.canaryGate].filter((fn) => fn !== undefined).length;
        (this.service.node.defaultChild as ecs.CfnService).addPropertyOverride(
          `DeploymentConfiguration.LifecycleHooks.${index}`,
          {
            TargetType: 'PAUSE',
            LifecycleStages: [pause.stage],
            TimeoutConfiguration: { TimeoutInMinutes: pause.timeoutMinutes, Action: pause.onTimeout },
          },
        );
      }
    } else {
      this.service.attachToApplicationTargetGroup(loadBalancer.blue);
    }

    // Seed 004 §3.2: target tracking on CPU, memory and requests per task.
    this.scaling = this.service.autoScaleTaskCount({
      minCapacity: profile.scaling.minCapacity,
      maxCapacity: profile.scaling.maxCapacity,
    });
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: profile.scaling.cpuPercent,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
    this.scaling.scaleOnMemoryUtilization('Memory', {
      targetUtilizationPercent: profile.scaling.memoryPercent,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
    // Per target of the blue group. Blue/green moves production traffic between the two groups;
    // until traffic returns to blue this policy sees no requests, and CPU and memory carry the
    // scaling (AWS's ALBRequestCountPerTarget names one target group).
    this.scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: profile.scaling.requestsPerTarget,
      targetGroup: loadBalancer.blue,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
    const window = profile.scaling.schedule;
    if (window) {
      const timeZone = window.timeZone;
      this.scaling.scaleOnSchedule(`${window.name}-start`, {
        schedule: appscaling.Schedule.expression(window.start),
        timeZone: TimeZone.of(timeZone),
        minCapacity: window.minCapacity,
        maxCapacity: window.maxCapacity,
      });
      this.scaling.scaleOnSchedule(`${window.name}-end`, {
        schedule: appscaling.Schedule.expression(window.end),
        timeZone: TimeZone.of(timeZone),
        minCapacity: profile.scaling.minCapacity,
        maxCapacity: profile.scaling.maxCapacity,
      });
    }

    Validations.of(this.service).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ecs:shouldUseCircuitBreaker',
      reason:
        'Rolling deployments use the circuit breaker with rollback; blue/green ones roll back on the alarms (CodeDeploy or Amazon ECS), which the circuit breaker does not apply to',
    });
    const greenRole = this.service.node.tryFindChild('GreenRole');
    if (greenRole) {
      Validations.of(greenRole).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
        reason:
          "AWS's policy for Amazon ECS to move listener rules between this service's target groups during its own blue/green deployments",
      });
    }
    const hooks = [
      ['green-check', props.greenCheck],
      ['canary-gate', props.canaryGate],
    ] as const;
    for (const [what, hook] of hooks) {
      if (native && hook) {
        // On the service: aws-cdk-lib creates the hook's role when it renders the service.
        const fn = hook.node.defaultChild as CfnResource;
        Validations.of(this.service).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn)}.Arn>:*]`,
          reason: `Amazon ECS invokes the ${what} function (any version) as this service’s lifecycle hook, nothing else`,
        });
      }
    }
    onlyWhen(props.delivered, this.service);
  }
}

/** Puts every CloudFormation resource under `scopes` under `condition`. */
export function onlyWhen(condition: CfnCondition, ...scopes: IConstruct[]): void {
  for (const scope of scopes) {
    for (const child of scope.node.findAll()) {
      if (CfnResource.isCfnResource(child)) {
        child.cfnOptions.condition = condition;
      }
    }
  }
}
