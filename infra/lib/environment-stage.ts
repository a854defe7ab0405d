import { Stack, Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config/load';
import { Naming } from '@ias/targets';
import { DELIVERY_CODE } from './config/project';
import type { DeliveryCode } from './config/delivery-code';
import { SubnetGroup } from './constructs/network';
import {
  acknowledgeCdkProviders,
  acknowledgeCrossStackSettings,
  acknowledgeLogGroupFindings,
} from './aspects/acknowledgements';
import { ownHelperFunctionLogs } from './aspects/helper-logs';
import { applyRemovalRule } from './aspects/removal';
import { applyStandardTags } from './aspects/tags';
import { ConfigStack } from './stacks/config-stack';
import { APPLICATION_DATABASE_NAME, DataStack } from './stacks/data-stack';
import { importKey, logRetention } from './stacks/environment-stack-props';
import { FoundationStack } from './stacks/foundation-stack';
import { DeploymentStack } from './stacks/deployment-stack';
import { NetworkStack } from './stacks/network-stack';
import { ObservabilityStack } from './stacks/observability-stack';
import { AuditStack, wantsAudit } from './stacks/audit-stack';
import { DeliveryAccessStack } from './access/delivery-access-stack';
import { GithubOidcStack } from './stacks/github-oidc-stack';
import type { GovernanceConfig } from './config/governance-schema';
import { PersonaRoles, personaRolesFor } from './governance';
import { githubDeployRole, type GithubRolesInput } from './access/github-roles';
import {
  KIND_LIST,
  KINDS,
  type ByKind,
  type WatchedWorkloadStack,
  type WorkloadKind,
  type Workloads,
} from './kinds';
import { HealthStack } from './stacks/health-stack';

/** Props of {@link EnvironmentStage}. */
export interface EnvironmentStageProps extends StageProps, Workloads {
  /** The environment to build. */
  readonly config: EnvironmentConfig;
  /**
   * The tooling account, where the pipelines live. When it differs from this environment's
   * account, the stage adds `<prefix>-<env>-delivery-access` (the role the pipelines assume) and
   * lets the tooling builds push images.
   * @default - the pipelines share this environment's account
   */
  readonly toolingAccount?: string;
  /**
   * GitHub Actions' way in, when this environment has an account of its own: the stage adds
   * `<prefix>-<env>-github` with the account's OIDC provider (unless another stack of the project
   * in this account has it) and the role `<prefix>-<env>-github-deploy`.
   * @default - none (in one account, the delivery stage holds every environment's role)
   */
  readonly github?: GithubRolesInput & { readonly createProvider: boolean };
  /** The organization's personas (roles `<prefix>-<env>-<persona>`), when governance is on. @default - none */
  readonly governance?: GovernanceConfig;
  /** The region of the pipelines, for the operator policy. @default - the environment's region */
  readonly pipelineRegion?: string;
  /** The delivery code the traffic hooks run. @default - the repository's `delivery` workspace */
  readonly deliveryCode?: DeliveryCode;
}

/**
 * One environment (dev, staging or prod): every stack of its infrastructure layer, named
 * `<prefix>-<env>-<stack>`, tagged, and under the removal rule of its profile.
 *
 * A Stage, so that the same unit is deployed by `cdk deploy` and by a CDK pipeline.
 */
export class EnvironmentStage extends Stage {
  /** Names of the environment. */
  readonly naming: Naming;
  /** `<prefix>-<env>-foundation`: key, artifact bucket, ECR, CodeArtifact. */
  readonly foundation: FoundationStack;
  /** `<prefix>-<env>-network`: VPC, endpoints, flow logs, workload security group. */
  readonly network: NetworkStack;
  /** `<prefix>-<env>-data`: the database, its credentials and proxy. */
  readonly data: DataStack;
  /** `<prefix>-<env>-observability`: alarm topic, alarms, dashboard. */
  readonly observability: ObservabilityStack;
  /**
   * `<prefix>-<env>-audit`: the CloudTrail trail and AWS Config recorder with its rules, when the
   * profile's `observability.detective` turns either on.
   */
  readonly audit?: AuditStack;
  /** `<prefix>-<env>-config`: SSM parameters under `/<prefix>/<env>/`. */
  readonly configuration: ConfigStack;
  /** `<prefix>-<env>-deployment`: seed 003's custom deployment configuration and the traffic hooks. */
  readonly deployment: DeploymentStack;
  /**
   * The workloads' stacks, by kind and workload name: `<prefix>-<env>-fn-<name>` per function,
   * `<prefix>-<env>-svc-<name>` per container service.
   */
  readonly workloads: ByKind<'stack'>;
  /** `<prefix>-<env>-health`: the environment's composite alarm and health dashboard, after every workload. */
  readonly health: HealthStack;
  /** `<prefix>-<env>-github`: GitHub OIDC and this environment's deploy role, when it has its own account. */
  readonly github?: GithubOidcStack;
  /** `<prefix>-<env>-delivery-access`, when the pipelines live in another account. */
  readonly deliveryAccess?: DeliveryAccessStack;

  constructor(scope: Construct, id: string, props: EnvironmentStageProps) {
    const { config } = props;
    super(scope, id, {
      ...props,
      env: props.env ?? { account: config.profile.account, region: config.profile.region },
    });
    const naming = new Naming(config.prefix, config.name);
    this.naming = naming;
    const account = config.profile.account;
    const crossAccount =
      props.toolingAccount !== undefined && account !== undefined && account !== props.toolingAccount;
    const common = { config, naming };

    this.foundation = new FoundationStack(this, 'foundation', {
      ...common,
      stackName: naming.stackName('foundation'),
      description: `${naming.base}: KMS key, artifact bucket, ECR repositories, CodeArtifact`,
      containerServices: KIND_LIST.flatMap((kind) => kind.imageRepositories(props)),
      toolingAccount: crossAccount ? props.toolingAccount : undefined,
    });
    const key = this.foundation.key;

    this.network = new NetworkStack(this, 'network', {
      ...common,
      stackName: naming.stackName('network'),
      description: `${naming.base}: VPC, subnets, endpoints, flow logs, security groups`,
      encryptionKey: key,
    });

    this.data = new DataStack(this, 'data', {
      ...common,
      stackName: naming.stackName('data'),
      description: `${naming.base}: Aurora PostgreSQL Serverless v2, credentials, proxy`,
      vpc: this.network.vpc,
      appSecurityGroup: this.network.appSecurityGroup,
      encryptionKey: key,
      deliveryCode: props.deliveryCode ?? DELIVERY_CODE,
      // Each Kubernetes application's own database login, where the profile runs them.
      kubernetesApps: config.profile.kubernetes.enabled ? (props.kubernetes ?? []).map((a) => a.name) : [],
    });

    this.observability = new ObservabilityStack(this, 'observability', {
      ...common,
      stackName: naming.stackName('observability'),
      description: `${naming.base}: alarm topic, alarms, dashboard`,
      encryptionKey: key,
      database: this.data.database,
    });

    if (wantsAudit(config)) {
      this.audit = new AuditStack(this, 'audit', {
        ...common,
        stackName: naming.stackName('audit'),
        description: `${naming.base}: CloudTrail trail, AWS Config recorder and rules, audit bucket`,
        encryptionKey: key,
        alarmTopic: this.observability.topic,
        accessLogBucket: this.foundation.accessLogBucket,
      });
    }

    this.deployment = new DeploymentStack(this, 'deployment', {
      ...common,
      stackName: naming.stackName('deployment'),
      description: `${naming.base}: seed 003's linear 25 %/10 min deployment configuration, CodeDeploy traffic hooks`,
      encryptionKey: key,
      deliveryCode: props.deliveryCode ?? DELIVERY_CODE,
    });

    // Each kind's stacks come right after the environment stack they read (build order is
    // the assembly's and the infrastructure pipeline's order).
    const workloads = new Map<WorkloadKind, ReadonlyMap<string, WatchedWorkloadStack>>();
    const addWorkloads = (after: WorkloadKind['after'], afterStack: Stack) => {
      const workloadEnv = {
        ...common,
        deliveryCode: props.deliveryCode ?? DELIVERY_CODE,
        foundation: this.foundation,
        network: this.network,
        data: this.data,
        observability: this.observability,
        after: afterStack,
        toolingAccount: props.toolingAccount,
        pipelineRegion: props.pipelineRegion,
        personas: props.governance
          ? personaRolesFor(props.governance, config.name).map((p) => p.persona)
          : [],
      };
      for (const kind of KIND_LIST.filter((k) => k.after === after)) {
        workloads.set(kind, kind.addStacks(this, props, workloadEnv));
      }
    };
    addWorkloads('deployment', this.deployment);

    const { cluster, proxy } = this.data.database;
    const privateSubnets = this.network.vpc.selectSubnets({ subnetGroupName: SubnetGroup.PRIVATE });
    this.configuration = new ConfigStack(this, 'config', {
      ...common,
      stackName: naming.stackName('config'),
      description: `${naming.base}: SSM parameters under ${naming.pathPrefix}, the operator policy`,
      encryptionKey: key,
      pipelineRegion: props.pipelineRegion,
      parameters: {
        'network/vpc-id': { value: this.network.vpc.vpcId, description: 'VPC of the environment' },
        'network/private-subnet-ids': {
          value: privateSubnets.subnetIds.join(','),
          description: 'Subnets for functions and tasks (comma-separated)',
        },
        'network/app-security-group-id': {
          value: this.network.appSecurityGroup.securityGroupId,
          description: 'Security group for functions and tasks',
        },
        'db/endpoint': {
          value: proxy ? proxy.endpoint : cluster.clusterEndpoint.hostname,
          description: proxy ? 'Database endpoint (the RDS Proxy)' : 'Database endpoint (the cluster writer)',
        },
        'db/writer-endpoint': {
          value: cluster.clusterEndpoint.hostname,
          description:
            'Database writer endpoint, for logins by password (the RDS Proxy admits IAM logins only)',
        },
        'db/port': { value: cluster.clusterEndpoint.port.toString(), description: 'Database port' },
        'db/name': { value: APPLICATION_DATABASE_NAME, description: 'Application database name' },
        'db/secret-arn': {
          value: this.data.database.secret.secretArn,
          description: `Secrets Manager ARN of the master user's credentials (${naming.path('db', 'credentials')}), read only by the roles provisioner`,
        },
        'artifacts/bucket': {
          value: this.foundation.artifactBucket.bucketName,
          description: 'Artifact store for builds and pipelines',
        },
        'codeartifact/domain': {
          value: this.foundation.packages.domain.attrName,
          description: 'CodeArtifact domain builds authenticate against',
        },
        'codeartifact/repository': {
          value: this.foundation.packages.repository.attrName,
          description: 'CodeArtifact npm repository builds install from',
        },
        'alarms/topic-arn': { value: this.observability.topic.topicArn, description: 'Alarm topic' },
        ...Object.fromEntries(
          [...this.foundation.repositories].map(([service, repo]) => [
            `ecr/${service}/repository-uri`,
            { value: repo.repositoryUri, description: `ECR repository of ${service}` },
          ]),
        ),
        ...Object.assign({}, ...KIND_LIST.map((kind) => kind.parameters(props, naming))),
      },
    });

    addWorkloads('configuration', this.configuration);
    this.workloads = Object.fromEntries(
      Object.entries(KINDS).map(([id, kind]) => [id, workloads.get(kind) ?? new Map()]),
    ) as ByKind<'stack'>;
    this.health = new HealthStack(this, 'health', {
      ...common,
      stackName: naming.stackName('health'),
      workloads: [...workloads.values()].flatMap((byName) => [...byName.values()]),
      platformAlarms: this.observability.alarms,
    });

    const personas = props.governance ? personaRolesFor(props.governance, config.name) : [];
    if (personas.length > 0) {
      new PersonaRoles(this.foundation, 'Personas', { naming, personas });
    }
    if (props.github) {
      this.github = new GithubOidcStack(this, 'github', {
        ...common,
        stackName: naming.stackName('github'),
        description: `${naming.base}: GitHub Actions OIDC and the deploy role of ${config.name}`,
        createProvider: props.github.createProvider,
        roles: [],
      });
      this.github.addRole(githubDeployRole(this.github, config, props.github));
    }
    if (crossAccount && props.toolingAccount) {
      this.deliveryAccess = new DeliveryAccessStack(this, 'delivery-access', {
        ...common,
        stackName: naming.stackName('delivery-access'),
        description: `${naming.base}: the role the application pipelines of account ${props.toolingAccount} assume here`,
        toolingAccount: props.toolingAccount,
        workloads: props,
      });
    }

    for (const stack of this.node.children.filter(Stack.isStack)) {
      ownHelperFunctionLogs(stack, {
        logGroupName: naming.name(`${stack.node.id}-helpers`),
        retention: logRetention(config),
        encryptionKey: stack === this.foundation ? key : importKey(stack, key),
        retainData: config.profile.retainData,
      });
      acknowledgeCdkProviders(stack);
    }
    acknowledgeLogGroupFindings(this, config.profile.logRetentionDays);
    acknowledgeCrossStackSettings(this);
    applyStandardTags(this, naming);
    applyRemovalRule(this, config.profile.retainData);
  }
}
