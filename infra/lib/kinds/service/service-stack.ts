import {
  SERVICE_STRATEGIES,
  serviceTarget,
  type ServiceStrategyTraits,
  type ServiceTarget,
} from '@ias/targets';
import { CfnCondition, CfnParameter, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { ServiceDefinition } from '../../config/services';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import type { PublicImageCache } from '../../constructs/public-image-cache';
import { ContainerService, onlyWhen } from './container-service';
import type { Database } from '../../constructs/database';
import { DeliveryFunction } from '../../constructs/delivery-function';
import type { DeliveryCode } from '../../config/delivery-code';
import { VPC_NETWORK_INTERFACE_ACTIONS } from '../../constructs/network';
import { ServiceAlarms } from './service-alarms';
import { ServiceMonitoring } from './service-monitoring';
import { ServiceCanary } from './service-canary';
import { CanaryGate } from './canary-gate';
import { REPO_ROOT } from '../../config/project';
import { codeDeployNames, monitoringNames } from '@ias/targets';
import { environmentCanaryAnalysis } from '../../config/canary-analysis-schema';
import { JudgedDeployment } from '../../constructs/judged-deployment';
import * as path from 'node:path';
import { ServiceDeployment } from './service-deployment';
import { loadBalancerLogBucket, ServiceLoadBalancer } from './service-load-balancer';
import { DATABASE_ROLES } from '../../stacks/data-stack';
import { importKey, logRetention, type EnvironmentStackProps } from '../../stacks/environment-stack-props';
import { passExecutionRole, stackArn } from '../../stacks/arns';

/** Props of {@link ServiceStack}. */
export interface ServiceStackProps extends EnvironmentStackProps {
  /** The service (its folder under app/services and its manifest). */
  readonly definition: ServiceDefinition;
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  /** The workloads' security group (reaches the database). */
  readonly appSecurityGroup: ec2.ISecurityGroup;
  readonly database: Database;
  /** The service's image repository. */
  readonly repository: ecr.IRepository;
  /** Where the trace collector's image is cached. */
  readonly publicImages: PublicImageCache;
  readonly encryptionKey: kms.IKey;
  readonly alarmTopic: AlarmTopic;
  /** Where the load balancer's log bucket sends its own access logs. */
  readonly accessLogBucket: s3.IBucket;
  /** The delivery code the green check runs. */
  readonly deliveryCode: DeliveryCode;
}

/**
 * One container service in one environment, `<prefix>-<env>-svc-<name>` (seeds 000, 002, 004): its
 * load balancer, task definition, Fargate service, auto scaling, alarms and, for CodeDeploy
 * blue/green, its CodeDeploy application and deployment group; for the blue/green strategies, the
 * function that checks the green side through the test listener.
 *
 * The image comes from the CloudFormation parameter `ImageUri`, an SSM parameter type whose
 * default is `/<prefix>/<env>/services/<name>/image`: the pipeline writes it after each delivery,
 * so re-deploying this stack keeps the running image. Until the first delivery it says `none`,
 * and the stack then holds everything but the service (no image to run, nothing to pull); the
 * pipeline's EnsureService step writes the first image and updates the stack, which creates it.
 */
export class ServiceStack extends Stack {
  readonly loadBalancer: ServiceLoadBalancer;
  readonly service: ContainerService;
  readonly alarms: ServiceAlarms;
  /** Its dashboard, its operators' alarms and its composite alarm `<service>-health`. */
  readonly monitoring: ServiceMonitoring;
  /** The environment's synthetic check, when the service's manifest names a canary script. */
  readonly canary?: ServiceCanary;
  readonly deployment?: ServiceDeployment;
  readonly greenCheck?: DeliveryFunction;
  /**
   * After production traffic moves, waits for the canary to pass a run that started after the move
   * (CodeDeploy's AfterAllowTraffic or Amazon ECS's POST_PRODUCTION_TRAFFIC_SHIFT hook), when the
   * service ships the canary. None for `rolling`, which has no hook after traffic moves: there the
   * circuit breaker and the deployment alarms decide, and the canary's own alarm is not among them.
   */
  readonly canaryGate?: CanaryGate;

  /** The SSM parameter holding the image a service runs, in `stack`'s account and region. */
  static imageParameterArn(stack: Stack, target: ServiceTarget): string {
    return stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: target.imageParameter.slice(1),
    });
  }

  /**
   * The supply-chain gate (the pipelines' and the GitHub workflows'): the ECR scan (basic, or Amazon
   * Inspector's) of the image about to deploy, in these services' repositories only.
   */
  static scanReadStatements(stack: Stack, targets: readonly ServiceTarget[]): iam.PolicyStatement[] {
    return [
      // @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImageScanFindings.html
      new iam.PolicyStatement({
        actions: ['ecr:DescribeImageScanFindings'],
        resources: targets.map((t) =>
          stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: t.repositoryName }),
        ),
      }),
      // With enhanced scanning ECR answers from Amazon Inspector, which authorizes the read itself
      // and scopes ListFindings to no resource.
      // @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced-iam.html
      ...(targets.some((t) => t.enhancedScanning)
        ? [new iam.PolicyStatement({ actions: ['inspector2:ListFindings'], resources: ['*'] })]
        : []),
    ];
  }

  /**
   * SupplyChainGate, EnsureService and RecordImage: these services' image scans, stacks and image
   * parameters only.
   */
  static deliverStatements(stack: Stack, targets: readonly ServiceTarget[]): iam.PolicyStatement[] {
    return [
      ...ServiceStack.scanReadStatements(stack, targets),
      new iam.PolicyStatement({
        actions: [
          'cloudformation:DescribeStacks',
          'cloudformation:DescribeStackEvents',
          'cloudformation:UpdateStack',
        ],
        resources: targets.map((t) => stackArn(stack, t.stackName)),
      }),
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: targets.map((t) => ServiceStack.imageParameterArn(stack, t)),
      }),
      // UpdateStack keeps the stack's role (the CDK bootstrap's execution role), which it passes.
      passExecutionRole(stack),
    ];
  }

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { naming, config, definition } = props;
    const { profile } = config;
    const settings = profile.service;
    const target = serviceTarget(config, definition);
    const { manifest } = definition;
    const strategy = settings.deployment.strategy;
    const traits = SERVICE_STRATEGIES[strategy];
    const key = importKey(this, props.encryptionKey);

    const imageUri = new CfnParameter(this, 'ImageUri', {
      type: 'AWS::SSM::Parameter::Value<String>',
      default: target.imageParameter,
      description: `SSM parameter holding the image ${target.serviceName} runs (written by its pipeline; none until the first delivery)`,
    });
    const delivered = new CfnCondition(this, 'Delivered', {
      expression: Fn.conditionNot(Fn.conditionEquals(imageUri.valueAsString, 'none')),
    });

    const logBucket = loadBalancerLogBucket(this, profile, props.accessLogBucket);
    this.loadBalancer = new ServiceLoadBalancer(this, 'LoadBalancer', {
      name: target.serviceName,
      vpc: props.vpc,
      profile: settings,
      containerPort: manifest.containerPort,
      healthCheckPath: manifest.healthCheckPath,
      blueGreen: traits.blueGreen,
      deletionProtection: profile.retainData,
      accessLogBucket: logBucket,
      trafficThroughRules: traits.trafficShift === 'rule-weights',
    });
    this.alarms = new ServiceAlarms(this, 'Alarms', {
      name: target.serviceName,
      loadBalancer: this.loadBalancer,
      thresholds: settings.alarms,
      alarmTopic: props.alarmTopic,
    });

    const testUrl = this.loadBalancer.testUrl(manifest.healthCheckPath);
    if (testUrl) {
      this.greenCheck = this.greenCheckFunction(props, target.greenCheck, testUrl, traits.greenCheck);
    }
    // Named only where the service ships the canary (built below) and the strategy has the hook point.
    if (target.canaryGate !== undefined && traits.canaryGate !== undefined) {
      this.canaryGate = new CanaryGate(this, 'CanaryGate', {
        functionName: target.canaryGate,
        serviceName: target.serviceName,
        canaryName: monitoringNames(naming).canary,
        everyMinutes: profile.observability.canary.everyMinutes,
        invokedBy: traits.canaryGate,
        code: props.deliveryCode,
        logRetention: logRetention(config),
        encryptionKey: key,
        retainData: profile.retainData,
      });
    }

    // Settings by reference from SSM (config stack); no credentials: the task logs in to the database
    // with IAM tokens, as the application role, and migrates as the owner role.
    const parameter = (path: string) =>
      ssm.StringParameter.fromStringParameterName(this, `Param-${path}`, naming.path(...path.split('/')));
    const dbParameters = {
      PGHOST: parameter('db/endpoint'),
      PGPORT: parameter('db/port'),
      PGDATABASE: parameter('db/name'),
    };
    const manifestParameters = Object.fromEntries(
      Object.entries(manifest.parameters).map(([name, path]) => [name, parameter(path)]),
    );
    const allParameters = { ...dbParameters, ...manifestParameters };
    this.service = new ContainerService(this, 'Service', {
      name: target.serviceName,
      containerName: target.containerName,
      cluster: props.cluster,
      vpc: props.vpc,
      // Imported immutable: the load balancer's attachment would otherwise write its ingress rule
      // into the network stack; ContainerService writes that rule here instead.
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(
        this,
        'AppSecurityGroup',
        props.appSecurityGroup.securityGroupId,
        { mutable: false, allowAllOutbound: false },
      ),
      loadBalancer: this.loadBalancer,
      profile: settings,
      containerPort: manifest.containerPort,
      imageUri: imageUri.valueAsString,
      repository: props.repository,
      tracing: {
        images: props.publicImages,
        samplingPercent: profile.observability.tracing.samplingPercent,
      },
      environment: {
        ...manifest.environment,
        NODE_ENV: 'production',
        PORT: String(manifest.containerPort),
        PGUSER: DATABASE_ROLES.app,
        DB_OWNER_USER: DATABASE_ROLES.owner,
        DB_AUTH: 'iam',
        PGSSLMODE: 'verify-full',
        // The RDS certificate authorities, which the image carries (see its Dockerfile).
        NODE_EXTRA_CA_CERTS: '/app/dist/certs/rds-global-bundle.pem',
      },
      secrets: {
        ...Object.fromEntries(
          Object.entries(allParameters).map(([n, p]) => [n, ecs.Secret.fromSsmParameter(p)]),
        ),
      },
      secretSources: { secrets: [], parameters: Object.values(allParameters) },
      encryptionKey: key,
      logRetention: logRetention(config),
      retainData: profile.retainData,
      delivered,
      deploymentAlarms: this.alarms.alarms,
      greenCheck: traits.greenCheck === 'ecs-hook' ? this.greenCheck?.function : undefined,
      canaryGate: traits.canaryGate === 'ecs-hook' ? this.canaryGate?.function : undefined,
    });

    for (const user of [DATABASE_ROLES.app, DATABASE_ROLES.owner]) {
      props.database.grantConnect(this.service.taskRole, user);
    }
    // The environment's synthetic check, when this service ships one: only once there is a service
    // to call (an undelivered service's canary would fail every run).
    const { observability } = profile;
    if (manifest.canary !== undefined) {
      const lb = this.loadBalancer;
      this.canary = new ServiceCanary(this, 'Canary', {
        canaryName: monitoringNames(naming).canary,
        name: naming.name('canary'),
        script: path.join(REPO_ROOT, definition.folder, manifest.canary),
        apiUrl: `${lb.protocol.toLowerCase()}://${lb.loadBalancer.loadBalancerDnsName}:${lb.productionPort}`,
        port: lb.productionPort,
        vpc: props.vpc,
        everyMinutes: observability.canary.everyMinutes,
        encryptionKey: key,
        accessLogBucket: props.accessLogBucket,
        logRetention: logRetention(config),
        retainData: profile.retainData,
        condition: delivered,
      });
    }
    this.monitoring = new ServiceMonitoring(this, 'Monitoring', {
      canary: this.canary && { name: monitoringNames(naming).canary, ...observability.canary },
      name: target.serviceName,
      service: this.service.service,
      cluster: props.cluster,
      loadBalancer: this.loadBalancer,
      profile: settings,
      alarmTopic: props.alarmTopic,
      logs: { logGroup: this.service.logGroup, thresholds: profile.observability.logs },
    });

    if (traits.controller === 'CODE_DEPLOY') {
      this.deployment = new ServiceDeployment(this, 'Deployment', {
        name: target.serviceName,
        service: this.service.service,
        loadBalancer: this.loadBalancer,
        traffic: settings.deployment.traffic,
        blueRetentionMinutes: settings.deployment.blueRetentionMinutes,
        alarms: this.alarms.alarms,
      });
      onlyWhen(delivered, this.deployment.deploymentGroup);
      const judging = environmentCanaryAnalysis(profile).service;
      if (judging && this.loadBalancer.green) {
        const judged = new JudgedDeployment(this, 'Judged', {
          naming,
          group: {
            kind: 'ecs',
            ...codeDeployNames(target.serviceName),
            loadBalancer: this.loadBalancer.loadBalancer.loadBalancerArn,
            targetGroups: [this.loadBalancer.blue.targetGroupArn, this.loadBalancer.green.targetGroupArn],
            analysis: judging,
          },
        });
        // With the group: watched only once the service is delivered.
        onlyWhen(delivered, judged);
      }
    }
  }

  /**
   * The green check: from inside the VPC, the readiness path through the test listener, before
   * production traffic moves. CodeDeploy invokes it as the appspec's AfterAllowTestTraffic hook
   * (it reports back to CodeDeploy); Amazon ECS as the service's POST_TEST_TRAFFIC_SHIFT hook.
   */
  private greenCheckFunction(
    props: ServiceStackProps,
    functionName: string,
    url: string,
    invokedBy: ServiceStrategyTraits['greenCheck'],
  ): DeliveryFunction {
    const reportsToCodeDeploy = invokedBy === 'codedeploy-hook';
    const securityGroup = new ec2.SecurityGroup(this, 'GreenCheckSecurityGroup', {
      vpc: props.vpc,
      description: `${functionName}: to the test listener, and HTTPS to AWS APIs`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(
      ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
      ec2.Port.tcp(this.loadBalancer.testPort),
      'The test listener',
    );
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (CodeDeploy)');
    const role = new iam.Role(this, 'GreenCheckRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName}: check the green side, report to CodeDeploy`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...VPC_NETWORK_INTERFACE_ACTIONS],
        resources: ['*'],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: reportsToCodeDeploy
        ? 'The VPC network-interface actions, and codedeploy:PutLifecycleEventHookExecutionStatus (a deployment ID, no resource), which AWS does not scope to resources'
        : 'Only the VPC network-interface actions, which AWS does not scope to resources',
    });
    if (reportsToCodeDeploy) {
      // It takes a deployment ID and no resource: IAM authorizes it on `*` only.
      // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'],
          resources: ['*'],
        }),
      );
    }
    return new DeliveryFunction(this, 'GreenCheck', {
      functionName,
      description: `Checks the green side of ${props.definition.name} through the test listener before production traffic moves`,
      code: props.deliveryCode,
      handler: 'green-check',
      role,
      timeout: Duration.minutes(2),
      logRetention: logRetention(props.config),
      encryptionKey: importKey(this, props.encryptionKey),
      retainData: props.config.profile.retainData,
      environment: { GREEN_CHECK_URL: url, GREEN_CHECK_ATTEMPTS: '5' },
      vpc: props.vpc,
      securityGroups: [securityGroup],
    });
  }
}
