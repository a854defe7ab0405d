import type { EnvironmentProfileInput } from './profile-schema';

/**
 * The environment profiles: everything that differs between dev, staging and prod, in promotion
 * order. This is data: it is validated with zod when the CDK app loads it (`load.ts`), and every
 * problem is reported at once with its path.
 *
 * To deploy into fixed accounts, add `account: '123456789012'` to a profile; without it the stacks
 * are account-agnostic and go to whatever account the CLI's credentials point at.
 *
 * The `@example.com` alarm addresses are reserved example addresses: replace them with your team's
 * before deploying (the delivery plan printed by `npm start` warns while they are there).
 */
export const environments = {
  dev: {
    region: 'ap-northeast-1',
    network: {
      vpcCidr: '10.10.0.0/16',
      availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c'],
      // No NAT gateway: Fargate tasks and functions reach ECR, Logs, SSM, Secrets Manager, KMS
      // and STS through VPC endpoints (seed 002), which is cheaper for an idle dev account.
      natGateways: 0,
    },
    database: {
      minCapacity: 0.5,
      maxCapacity: 2,
      readers: 0,
      proxy: false,
      backupRetentionDays: 1,
      credentialRotationDays: 30,
    },
    containerImagesToKeep: 10,
    artifactVersionRetentionDays: 7,
    logRetentionDays: 7,
    alarms: {
      notificationEmails: ['platform-dev@example.com'],
      databaseCpuPercent: 90,
      databaseCapacityPercent: 90,
      databaseConnections: 100,
      databaseFreeableMemoryMiB: 256,
      evaluationPeriods: 5,
    },
    lambda: {
      deployment: 'all-at-once',
      errorsPerMinute: 5,
      throttlesPerMinute: 5,
      p99DurationPercentOfTimeout: 90,
      watch: {
        errorsPer5Minutes: 10,
        throttlesPer5Minutes: 10,
        p99DurationPercentOfTimeout: 90,
        concurrentExecutions: 100,
        queueOldestMessageSeconds: 900,
      },
    },
    // Seed 004: 256 CPU / 512 MiB, one task. Rolling with the circuit breaker: the quickest way to
    // see a change running, and a failed one rolls itself back.
    service: {
      cpu: 256,
      memoryMiB: 512,
      desiredCount: 1,
      scaling: { minCapacity: 1, maxCapacity: 2 },
      deployment: { strategy: 'rolling' },
      alarms: { target5xxPerMinute: 10, unhealthyHosts: 1, p99LatencyMs: 2000 },
      watch: {
        elb5xxPer5Minutes: 10,
        target5xxPer5Minutes: 20,
        p99LatencyMs: 2000,
        cpuPercent: 90,
        memoryPercent: 90,
      },
    },
    // What may ship: dev stops only on critical findings, so work is not blocked by every advisory.
    supplyChain: { failOn: 'CRITICAL', scanning: 'basic' },
    // The EKS cluster: Auto Mode's own nodes, one pod, the Service selector switched at once.
    kubernetes: {
      enabled: true,
      version: '1.33',
      capacity: { type: 'auto' },
      replicas: { min: 1, max: 2, cpuTargetPercent: 70 },
      deployment: { strategy: 'service-switch', steps: [100], bakeMinutes: 2, oldColorRetentionMinutes: 0 },
      alarms: { restartsPer5Minutes: 5, loggedErrorsPer5Minutes: 20 },
    },
    // The inventory API on EC2 too: one small Graviton instance, updated in place all at once.
    ec2: {
      enabled: true,
      instanceType: 't4g.small',
      capacity: { min: 1, max: 2 },
      scaling: { cpuTargetPercent: 70, requestsPerTarget: 1000 },
      deployment: { style: 'in-place', hosts: 'AllAtOnce' },
      alarms: { unhealthyHosts: 1, target5xxPer5Minutes: 20, p99LatencyMs: 2000 },
    },
    observability: {
      // Every 5 minutes keeps an idle dev account cheap; 100 % of requests traced while developing.
      canary: { everyMinutes: 5, failedRunsToAlarm: 2 },
      tracing: { samplingPercent: 100 },
      logs: { loggedErrorsPer5Minutes: 20, slowQueriesPer5Minutes: 50 },
      detective: { cloudTrail: false, config: false },
    },
  },
  staging: {
    region: 'ap-northeast-1',
    network: {
      vpcCidr: '10.20.0.0/16',
      availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c'],
      natGateways: 1,
    },
    database: {
      minCapacity: 0.5,
      maxCapacity: 4,
      readers: 1,
      proxy: true,
      backupRetentionDays: 7,
      credentialRotationDays: 30,
    },
    containerImagesToKeep: 20,
    artifactVersionRetentionDays: 30,
    logRetentionDays: 30,
    alarms: {
      notificationEmails: ['platform-staging@example.com'],
      databaseCpuPercent: 80,
      databaseCapacityPercent: 85,
      databaseConnections: 200,
      databaseFreeableMemoryMiB: 512,
      evaluationPeriods: 3,
    },
    lambda: {
      deployment: 'linear',
      errorsPerMinute: 1,
      throttlesPerMinute: 1,
      p99DurationPercentOfTimeout: 80,
      watch: {
        errorsPer5Minutes: 5,
        throttlesPer5Minutes: 5,
        p99DurationPercentOfTimeout: 85,
        concurrentExecutions: 200,
        queueOldestMessageSeconds: 600,
      },
      // Judged every minute of the 10 the linear shift keeps both versions serving.
      canaryAnalysis: { enabled: true, inconclusive: 'continue' },
    },
    // Amazon ECS's own blue/green: the green side is checked through the test listener by a
    // lifecycle hook, then takes all traffic and bakes for 5 minutes under the alarms.
    service: {
      cpu: 512,
      memoryMiB: 1024,
      desiredCount: 2,
      scaling: { minCapacity: 2, maxCapacity: 4 },
      deployment: { strategy: 'ecs-blue-green', bakeMinutes: 5 },
      alarms: { target5xxPerMinute: 5, unhealthyHosts: 1, p99LatencyMs: 1000 },
      watch: {
        elb5xxPer5Minutes: 5,
        target5xxPer5Minutes: 10,
        p99LatencyMs: 1000,
        cpuPercent: 85,
        memoryPercent: 85,
      },
    },
    supplyChain: { failOn: 'HIGH', scanning: 'basic' },
    // The Ingress switched all at once after its tests, blue kept 30 minutes for a fast switch back.
    kubernetes: {
      enabled: true,
      version: '1.33',
      capacity: { type: 'auto' },
      replicas: { min: 2, max: 4, cpuTargetPercent: 70 },
      deployment: { strategy: 'ingress-switch', steps: [100], bakeMinutes: 5, oldColorRetentionMinutes: 30 },
      alarms: { restartsPer5Minutes: 3, loggedErrorsPer5Minutes: 10 },
    },
    // Two instances updated in place half at a time: one keeps serving while the other installs.
    ec2: {
      enabled: true,
      instanceType: 't4g.small',
      capacity: { min: 2, max: 4 },
      scaling: { cpuTargetPercent: 70, requestsPerTarget: 1000 },
      deployment: { style: 'in-place', hosts: 'HalfAtATime' },
      alarms: { unhealthyHosts: 1, target5xxPer5Minutes: 10, p99LatencyMs: 1000 },
    },
    observability: {
      canary: { everyMinutes: 5, failedRunsToAlarm: 2 },
      tracing: { samplingPercent: 20 },
      logs: { loggedErrorsPer5Minutes: 10, slowQueriesPer5Minutes: 20 },
      detective: { cloudTrail: false, config: false },
    },
  },
  prod: {
    region: 'ap-northeast-1',
    network: {
      vpcCidr: '10.30.0.0/16',
      availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
      // One NAT gateway per AZ, so losing an AZ does not cut the others off.
      natGateways: 3,
    },
    database: {
      minCapacity: 2,
      maxCapacity: 32,
      readers: 1,
      proxy: true,
      backupRetentionDays: 30,
      credentialRotationDays: 30,
    },
    containerImagesToKeep: 50,
    artifactVersionRetentionDays: 90,
    logRetentionDays: 365,
    alarms: {
      notificationEmails: ['platform-oncall@example.com'],
      databaseCpuPercent: 75,
      databaseCapacityPercent: 80,
      databaseConnections: 500,
      databaseFreeableMemoryMiB: 1024,
      evaluationPeriods: 3,
    },
    // Canary: 10 % of traffic for 5 minutes, then the rest, unless an alarm or the judge rolls it back.
    // Judged every minute of the 5; a verdict still inconclusive at the end lets it go on, since the
    // sample's functions see little traffic (S3 imports are rare): with steady traffic, choose rollback.
    lambda: {
      deployment: 'canary',
      errorsPerMinute: 1,
      throttlesPerMinute: 1,
      p99DurationPercentOfTimeout: 70,
      watch: {
        errorsPer5Minutes: 1,
        throttlesPer5Minutes: 1,
        p99DurationPercentOfTimeout: 80,
        concurrentExecutions: 500,
        queueOldestMessageSeconds: 300,
      },
      canaryAnalysis: { enabled: true, inconclusive: 'continue' },
    },
    // Seed 004: 1024 CPU / 2048 MiB, 2 to 20 tasks, at least 3 when created, more on Friday
    // evenings. The seeds' CodeDeploy blue/green: 10 % of traffic for 5 minutes, then the rest;
    // the blue side is kept an hour for a rollback that needs no new tasks.
    service: {
      cpu: 1024,
      memoryMiB: 2048,
      desiredCount: 3,
      scaling: {
        minCapacity: 2,
        maxCapacity: 20,
        schedule: {
          name: 'friday-evening',
          start: 'cron(0 19 ? * FRI *)',
          end: 'cron(0 23 ? * FRI *)',
          timeZone: 'Asia/Tokyo',
          minCapacity: 6,
          maxCapacity: 20,
        },
      },
      deployment: { strategy: 'codedeploy-blue-green', traffic: 'canary', blueRetentionMinutes: 60 },
      alarms: { target5xxPerMinute: 1, unhealthyHosts: 1, p99LatencyMs: 500 },
      // The judge compares green with blue during the 5 minutes of canary traffic.
      canaryAnalysis: { enabled: true, inconclusive: 'continue' },
      watch: {
        elb5xxPer5Minutes: 1,
        target5xxPer5Minutes: 5,
        p99LatencyMs: 500,
        cpuPercent: 80,
        memoryPercent: 80,
      },
    },
    // Retained: production stock and allocations are the business record, and its logs are the
    // audit trail. A mistaken `cdk destroy` must not erase them; delete them by hand on purpose.
    retainData: true,
    // Basic while the environments share one account: enhanced scanning (Amazon Inspector, continuous)
    // is the whole registry's mode, so turn it on once prod has an account of its own.
    supplyChain: { failOn: 'HIGH', scanning: 'basic' },
    // A managed node group of its own; the Ingress takes 5 % to the new color, then everyone, with a
    // bake after each step; the old color kept an hour (as the ECS blue side is).
    kubernetes: {
      enabled: true,
      version: '1.33',
      capacity: { type: 'nodes', instanceType: 't4g.large', minSize: 2, maxSize: 6, desiredSize: 3 },
      replicas: { min: 3, max: 10, cpuTargetPercent: 60 },
      deployment: {
        strategy: 'ingress-switch',
        steps: [5, 100],
        bakeMinutes: 10,
        oldColorRetentionMinutes: 60,
      },
      alarms: { restartsPer5Minutes: 2, loggedErrorsPer5Minutes: 5 },
      // The judge compares the new color's 5 % with the old color's 95 % during the first step's bake.
      canaryAnalysis: { enabled: true, inconclusive: 'continue' },
    },
    // Blue/green: CodeDeploy copies the Auto Scaling group, moves the load balancer to the green
    // instances half at a time, and keeps the blue fleet an hour (as the ECS blue side is kept).
    ec2: {
      enabled: true,
      instanceType: 't4g.medium',
      capacity: { min: 2, max: 6 },
      scaling: { cpuTargetPercent: 60, requestsPerTarget: 800 },
      deployment: { style: 'blue-green', hosts: 'HalfAtATime', terminateBlueAfterMinutes: 60 },
      alarms: { unhealthyHosts: 1, target5xxPer5Minutes: 5, p99LatencyMs: 1000 },
      // The judge compares the green fleet's first 15 minutes alone with blue's 15 before the
      // deployment; a confident pass ends the hour's wait (the blue fleet is terminated early).
      canaryAnalysis: { enabled: true, inconclusive: 'continue', bakeMinutes: 15 },
    },
    observability: {
      // Every minute: the canary is also the gate after a deployment, which waits for a run that
      // started after the traffic moved.
      canary: { everyMinutes: 1, failedRunsToAlarm: 2 },
      tracing: { samplingPercent: 5 },
      logs: { loggedErrorsPer5Minutes: 5, slowQueriesPer5Minutes: 10 },
      // Seed 001's detective controls: on in prod, where they are worth their cost.
      detective: { cloudTrail: true, config: true },
    },
  },
} satisfies Record<string, EnvironmentProfileInput>;
