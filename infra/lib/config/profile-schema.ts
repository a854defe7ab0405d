import { z } from 'zod';
import { accountIdSchema, DEFAULT_REGION, regionNameSchema } from './aws-schemas';
import { cidrsOverlap, parseCidr } from './cidr';
import {
  canaryGateTimeoutSeconds,
  ECS_DEPLOY_WAIT_MINUTES,
  ecsDeploymentMinutes,
  LAMBDA_MAX_TIMEOUT_SECONDS,
  serviceProfileSchema,
} from './service-profile-schema';
import {
  canaryGateDeadlineSeconds,
  DEFAULT_JUDGED_STEPS,
  LAMBDA_DEPLOYMENTS,
  lambdaSplit,
  SERVICE_STRATEGIES,
} from '@ias/targets';
import { judgedStepsSchema } from '@ias/delivery';
import { checkJudgedLambda } from './judged-lambda';
import { canaryAnalysisProfileSchema, checkCanaryAnalysis } from './canary-analysis-schema';
import { kubernetesProfileSchema } from './kubernetes-profile-schema';
import { ec2ProfileSchema } from './ec2-profile-schema';

/** Log retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Subnet sizes (CIDR masks) of the three tiers; the VPC CIDR must hold them in every AZ. */
export const SUBNET_MASKS = { public: 24, private: 22, isolated: 24 } as const;

const addressesPerAz =
  2 ** (32 - SUBNET_MASKS.public) + 2 ** (32 - SUBNET_MASKS.private) + 2 ** (32 - SUBNET_MASKS.isolated);

const cidrFormat = z.cidrv4();
const isCidr = (value: string): boolean => cidrFormat.safeParse(value).success;

/** Aurora Serverless v2 capacity is set in steps of 0.5 ACU. */
const acu = z
  .number()
  .min(0)
  .max(256)
  .refine((n) => Number.isInteger(n * 2), 'must be a multiple of 0.5 ACU');

const percent = z.number().gt(0).max(100);

/** Network settings of one environment. */
const networkSchema = z
  .object({
    /** The VPC's IPv4 CIDR; distinct from, and not overlapping, every other environment's. */
    vpcCidr: z.cidrv4('must be an IPv4 CIDR block such as 10.10.0.0/16'),
    /** Explicit AZ names: no context lookup is needed to synthesize, even with an account. */
    availabilityZones: z
      // eslint-disable-next-line security/detect-unsafe-regex -- each repetition starts with a - its class excludes: one way to match
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be an AZ name such as ap-northeast-1a'))
      .min(1)
      .max(6)
      .refine((azs) => new Set(azs).size === azs.length, 'must not repeat an availability zone'),
    /**
     * NAT gateways. 0 means none: the private tier then reaches AWS only through VPC endpoints
     * (seed 002's advice for Fargate), and has no route to the internet.
     */
    natGateways: z.number().int().min(0).max(6),
  })
  .superRefine((net, ctx) => {
    if (net.natGateways > net.availabilityZones.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['natGateways'],
        message: `must not exceed the number of availability zones (${net.availabilityZones.length})`,
      });
    }
    if (!isCidr(net.vpcCidr)) {
      return; // already reported by the format check
    }
    const range = parseCidr(net.vpcCidr);
    const needed = addressesPerAz * net.availabilityZones.length;
    if (range.mask < 16 || 2 ** (32 - range.mask) < needed) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpcCidr'],
        message: `must be between /16 and the size that holds ${net.availabilityZones.length} AZs of public /${SUBNET_MASKS.public}, private /${SUBNET_MASKS.private} and isolated /${SUBNET_MASKS.isolated} subnets (${needed} addresses)`,
      });
    }
  });

/** Aurora PostgreSQL Serverless v2 settings of one environment. */
const databaseSchema = z
  .object({
    /** Lowest capacity in ACU (0 lets the cluster pause when idle). */
    minCapacity: acu,
    /** Highest capacity in ACU. */
    maxCapacity: acu.refine((n) => n >= 1, 'must be at least 1 ACU'),
    /** Reader instances besides the writer (0 to 15). */
    readers: z.number().int().min(0).max(15),
    /** Put an RDS Proxy in front of the cluster (connection pooling for Lambda). */
    proxy: z.boolean(),
    /** Days of automated backups (1 to 35). */
    backupRetentionDays: z.number().int().min(1).max(35),
    /** Days between automatic rotations of the database credentials. */
    credentialRotationDays: z.number().int().min(1).max(365),
  })
  .refine((db) => db.maxCapacity >= db.minCapacity, {
    path: ['maxCapacity'],
    message: 'must be at least minCapacity',
  });

/** Alarm thresholds and where alarms are sent. */
const alarmsSchema = z.object({
  /** E-mail addresses subscribed to the environment's alarm topic. */
  notificationEmails: z.array(z.email('must be an e-mail address')),
  /** Database CPU utilization (%) above which the CPU alarm fires. */
  databaseCpuPercent: percent,
  /** Database ACU utilization (%) of maxCapacity above which the capacity alarm fires. */
  databaseCapacityPercent: percent,
  /** Database connections at which the connections alarm fires (seed 002: before max_connections). */
  databaseConnections: z.number().int().min(1),
  /** Database freeable memory, MiB, below which the memory alarm fires. */
  databaseFreeableMemoryMiB: z.number().int().min(16),
  /** Consecutive 1-minute periods over threshold before an alarm fires. */
  evaluationPeriods: z.number().int().min(1).max(60),
});

/**
 * What tells an operator that a function is unwell (seed 002), beside the alarms that roll a
 * deployment back: over 5-minute periods, on every version, into the function's composite alarm.
 */
const functionWatchSchema = z
  .object({
    /** Errors in 5 minutes at which the function is unwell. */
    errorsPer5Minutes: z.number().int().min(1),
    /** Throttles in 5 minutes at which the function is unwell. */
    throttlesPer5Minutes: z.number().int().min(1),
    /** p99 duration over 5 minutes, as a percentage of the function's timeout. */
    p99DurationPercentOfTimeout: percent,
    /** Concurrent executions at which it nears the account's limit (1,000 by default in a region). */
    concurrentExecutions: z.number().int().min(1),
    /** Age in seconds of the oldest message waiting in a queue-triggered function's queue. */
    queueOldestMessageSeconds: z.number().int().min(60).max(1_209_600),
  })
  .strict();

/** How functions are delivered and watched in one environment. */
const lambdaSchema = z
  .object({
    /**
     * Traffic shifting: `all-at-once`; `linear` (10 % every minute); `canary` (10 %, then the rest
     * after 5 minutes); `linear-25-every-10-minutes` (seed 003's custom configuration), all by
     * CodeDeploy; or `judged`: the pipeline's own step shifts the alias through `judgedSteps`, each
     * step judged by the canary judge (needs `canaryAnalysis` enabled with a `bakeMinutes`).
     */
    deployment: z.enum(LAMBDA_DEPLOYMENTS),
    /**
     * The new version's weights in percent under `deployment: judged`, each step below 100 baked
     * and judged (`canaryAnalysis.bakeMinutes`): rising, ending at 100, at least one below it.
     * @default [10, 50, 100]
     */
    judgedSteps: judgedStepsSchema.default([...DEFAULT_JUDGED_STEPS]),
    /** Errors per minute on the alias that stop and roll back a deployment. */
    errorsPerMinute: z.number().int().min(1),
    /** Throttles per minute on the alias that stop and roll back a deployment. */
    throttlesPerMinute: z.number().int().min(1),
    /** p99 duration, as a percentage of the function's timeout, that stops and rolls back a deployment. */
    p99DurationPercentOfTimeout: percent,
    /** The operators' alarms (the dead-letter queue alarms on any message, with no threshold). */
    watch: functionWatchSchema,
    /** Whether the canary judge decides this kind's deployments here, and how (README "Canary analysis"). */
    canaryAnalysis: canaryAnalysisProfileSchema.optional(),
  })
  .strict()
  .superRefine((l, ctx) => {
    checkCanaryAnalysis(l.canaryAnalysis, lambdaSplit(l.deployment), ctx);
    checkJudgedLambda(l, ctx);
  });

/** A Slack channel AWS Chatbot posts the alarm topic's messages to (the workspace authorized once in the Chatbot console). */
const slackChannelSchema = z
  .object({
    /** The Slack workspace (team) ID, e.g. T0123456789. */
    workspaceId: z.string().regex(/^[0-9A-Z]{1,255}$/, 'must be a Slack workspace ID such as T0123456789'),
    /** The Slack channel ID, e.g. C0123456789 (the channel's "About" tab shows it). */
    channelId: z.string().regex(/^[A-Za-z0-9]{9,255}$/, 'must be a Slack channel ID such as C0123456789'),
  })
  .strict();

const guid = z.uuid('must be a GUID such as 0a1b2c3d-4e5f-6789-abcd-ef0123456789');

/** A Microsoft Teams channel AWS Chatbot posts to (the team authorized once in the Chatbot console). */
const teamsChannelSchema = z
  .object({
    /** The team's ID (a GUID). */
    teamId: guid,
    /** The Microsoft 365 tenant's ID (a GUID). */
    tenantId: guid,
    /** The channel's ID, as in its link: 19:...@thread.tacv2. */
    channelId: z
      .string()
      .regex(
        /^19:[^\s]+@thread\.(tacv2|skype)$/,
        'must be a Teams channel ID such as 19:abc...@thread.tacv2',
      ),
  })
  .strict();

/**
 * What watches an environment beside the workloads' own alarms (seeds 001 and 002): chat, the
 * synthetic check, tracing, the log-derived alarms and the detective controls.
 */
const observabilitySchema = z
  .object({
    /** Chat channels that receive the alarm topic through AWS Chatbot. @default - e-mail only */
    chat: z
      .object({ slack: slackChannelSchema.optional(), teams: teamsChannelSchema.optional() })
      .strict()
      .default({}),
    /** The CloudWatch Synthetics canary that calls the API from outside: health, a read, an allocation and its release. */
    canary: z
      .object({
        /** Minutes between runs (1 to 60). */
        everyMinutes: z.number().int().min(1).max(60),
        /** Failed runs in a row that put the canary's alarm in ALARM. */
        failedRunsToAlarm: z.number().int().min(1).max(10),
      })
      .strict(),
    /** Share of requests traced end to end (load balancer, service, database), in percent (0 to 100). */
    tracing: z.object({ samplingPercent: z.number().min(0).max(100) }).strict(),
    /** Alarms on what the structured logs say (metric filters), per workload over 5 minutes. */
    logs: z
      .object({
        /** Lines logged with an `errorType` in 5 minutes at which a workload is unwell. */
        loggedErrorsPer5Minutes: z.number().int().min(1),
        /** Database queries over SLOW_QUERY_MS in 5 minutes at which a workload is unwell. */
        slowQueriesPer5Minutes: z.number().int().min(1),
      })
      .strict(),
    /**
     * Detective governance (seed 001): a CloudTrail trail and an AWS Config recorder with managed
     * rules that mirror the policy gates at run time. One recorder per account and region: at most
     * one environment of an account turns `config` on.
     */
    detective: z.object({ cloudTrail: z.boolean(), config: z.boolean() }).strict(),
  })
  .strict();

/** Severities a supply-chain gate can stop at, most severe first. */
export const GATE_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;

/**
 * What may ship into an environment (seed 000): the image scan's and the dependency audit's
 * findings at or above `failOn` stop a deployment, unless `supply-chain/exceptions.json` excepts
 * them until a date.
 */
const supplyChainSchema = z
  .object({
    /** The lowest severity that stops a deployment. */
    failOn: z.enum(GATE_SEVERITIES),
    /**
     * `basic`: ECR scans each image on push. `enhanced`: Amazon Inspector scans the environment's
     * repositories continuously (a registry-wide setting: one environment per account and region).
     */
    scanning: z.enum(['basic', 'enhanced']),
  })
  .strict();

/** One environment: everything that differs between dev, staging and prod. */
export const environmentProfileSchema = z
  .object({
    /** AWS account ID. Without it the stacks are account-agnostic (deploy to the CLI's account). */
    account: accountIdSchema.optional(),
    /** AWS region. */
    region: regionNameSchema.default(DEFAULT_REGION),
    network: networkSchema,
    database: databaseSchema,
    /** Container images kept per repository by the ECR lifecycle policy. */
    containerImagesToKeep: z.number().int().min(1).max(1000),
    /** Days a superseded artifact version is kept in the artifact bucket. */
    artifactVersionRetentionDays: z.number().int().min(1).max(3650),
    /** CloudWatch Logs retention for every log group of the environment. */
    logRetentionDays: z.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    }),
    alarms: alarmsSchema,
    lambda: lambdaSchema,
    /** How container services are sized, scaled, delivered and watched (seed 004 §2–3). */
    service: serviceProfileSchema,
    observability: observabilitySchema,
    supplyChain: supplyChainSchema,
    /** The environment's EKS cluster and how its Kubernetes applications switch colors. */
    kubernetes: kubernetesProfileSchema,
    /** The environment's EC2 applications and how CodeDeploy deploys them (in place or blue/green). */
    ec2: ec2ProfileSchema,
    /**
     * Keep databases, buckets, repositories, keys and log groups when the stacks are destroyed.
     * Default false: seed 000 wants data and logs removed by `cdk destroy`. A profile that sets it
     * true says why in a comment.
     */
    retainData: z.boolean().default(false),
  })
  .strict()
  .superRefine((profile, ctx) => {
    if (
      SERVICE_STRATEGIES[profile.service.deployment.strategy].controller === 'CODE_DEPLOY' &&
      profile.network.natGateways === 0
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['service', 'deployment', 'strategy'],
        message:
          "codedeploy-blue-green's green-check hook reports to CodeDeploy's API, which a VPC without NAT gateways cannot reach: use an ecs-* strategy or add a NAT gateway",
      });
    }
    // The canary gate (a service that ships the canary, a strategy with a hook after production
    // traffic moves) waits up to two canary periods and one run: within one Lambda invocation for
    // CodeDeploy, within the pipeline's wait for Amazon ECS.
    const { deployment } = profile.service;
    const { everyMinutes } = profile.observability.canary;
    const gate = SERVICE_STRATEGIES[deployment.strategy].canaryGate;
    if (
      gate === 'codedeploy-hook' &&
      canaryGateTimeoutSeconds(gate, everyMinutes) > LAMBDA_MAX_TIMEOUT_SECONDS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['observability', 'canary', 'everyMinutes'],
        message: `a canary every ${everyMinutes} min makes codedeploy-blue-green's canary gate wait up to ${canaryGateDeadlineSeconds(everyMinutes)} s in one invocation, but a Lambda function runs at most ${LAMBDA_MAX_TIMEOUT_SECONDS} s with a minute to report: run the canary at most every ${Math.floor((LAMBDA_MAX_TIMEOUT_SECONDS - canaryGateTimeoutSeconds(gate, 0)) / 120)} minutes or use an ecs-* strategy`,
      });
    }
    const ecsMinutes = ecsDeploymentMinutes(deployment);
    const gateMinutes = Math.ceil(canaryGateDeadlineSeconds(everyMinutes) / 60);
    if (
      gate === 'ecs-hook' &&
      ecsMinutes !== undefined &&
      ecsMinutes <= ECS_DEPLOY_WAIT_MINUTES &&
      ecsMinutes + gateMinutes > ECS_DEPLOY_WAIT_MINUTES
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['observability', 'canary', 'everyMinutes'],
        message: `with a canary every ${everyMinutes} min, the canary gate may wait ${gateMinutes} min after production traffic moves, and an ${deployment.strategy} deployment ${ecsMinutes + gateMinutes} min, but the pipeline's ECS action and the workflow wait ${ECS_DEPLOY_WAIT_MINUTES}: run the canary more often or shorten the deployment`,
      });
    }
    profile.network.availabilityZones.forEach((az, i) => {
      if (!az.startsWith(profile.region)) {
        ctx.addIssue({
          code: 'custom',
          path: ['network', 'availabilityZones', i],
          message: `must be in the profile's region ${profile.region}`,
        });
      }
    });
  });

/** Environment names become part of every resource name, so they are short and lowercase. */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z][a-z0-9]{1,9}$/;

/** Every environment, in promotion order (dev → staging → prod). */
export const environmentsSchema = z
  .record(z.string(), environmentProfileSchema)
  .refine((envs) => Object.keys(envs).length > 0, 'must define at least one environment')
  .superRefine((envs, ctx) => {
    const entries = Object.entries(envs);
    for (const [name] of entries) {
      if (!ENVIRONMENT_NAME_PATTERN.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `environment name ${JSON.stringify(name)}: use 2 to 10 lowercase letters or digits, a letter first (it becomes part of every resource name)`,
        });
      }
    }
    entries.forEach(([name, profile], i) => {
      for (const [other, otherProfile] of entries.slice(0, i)) {
        if (
          (profile.supplyChain.scanning === 'enhanced' || otherProfile.supplyChain.scanning === 'enhanced') &&
          profile.region === otherProfile.region &&
          profile.account === otherProfile.account
        ) {
          ctx.addIssue({
            code: 'custom',
            path: [name, 'supplyChain', 'scanning'],
            message: `${name} and ${other} share ${profile.account === undefined ? 'the deploying account (no account named)' : `account ${profile.account}`} and ${profile.region}, and ECR's scanning mode is the whole registry's: enhanced scanning needs an environment alone in its account and region (use basic in both, or give them their own accounts)`,
          });
        }
        if (
          profile.observability.detective.config &&
          otherProfile.observability.detective.config &&
          profile.region === otherProfile.region &&
          profile.account === otherProfile.account
        ) {
          ctx.addIssue({
            code: 'custom',
            path: [name, 'observability', 'detective', 'config'],
            message: `${other} already records AWS Config in ${profile.account === undefined ? 'the deploying account (no account named)' : `account ${profile.account}`} and ${profile.region}, and an account has one recorder per region: turn it off here or give the environments their own accounts`,
          });
        }
        if (
          isCidr(profile.network.vpcCidr) &&
          isCidr(otherProfile.network.vpcCidr) &&
          cidrsOverlap(profile.network.vpcCidr, otherProfile.network.vpcCidr)
        ) {
          ctx.addIssue({
            code: 'custom',
            path: [name, 'network', 'vpcCidr'],
            message: `${profile.network.vpcCidr} overlaps ${other}'s ${otherProfile.network.vpcCidr}: give every environment its own range`,
          });
        }
      }
    });
  });

/** An environment profile as written in `environments.ts` (defaults may be left out). */
export type EnvironmentProfileInput = z.input<typeof environmentProfileSchema>;
/** An environment profile after validation, defaults filled in. */
export type EnvironmentProfile = z.output<typeof environmentProfileSchema>;
