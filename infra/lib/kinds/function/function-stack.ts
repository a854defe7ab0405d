import { Stack } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { FunctionDefinition } from '../../config/functions';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import type { Database } from '../../constructs/database';
import { DeliveredFunction } from './delivered-function';
import { FunctionMonitoring } from './function-monitoring';
import { codeDeployNames, deploymentConfigName, trafficHookNames } from '@ias/targets';
import { functionsWatched } from '../../config/canary-analysis-schema';
import { JudgedDeployment } from '../../constructs/judged-deployment';
import { APPLICATION_DATABASE_NAME, DATABASE_ROLES } from '../../stacks/data-stack';
import { importKey, logRetention, type EnvironmentStackProps } from '../../stacks/environment-stack-props';

/** Props of {@link FunctionStack}. */
export interface FunctionStackProps extends EnvironmentStackProps {
  /** The function (its folder under app/functions and its manifest). */
  readonly definition: FunctionDefinition;
  readonly vpc: ec2.IVpc;
  readonly appSecurityGroup: ec2.ISecurityGroup;
  readonly database: Database;
  readonly encryptionKey: kms.IKey;
  readonly alarmTopic: AlarmTopic;
  readonly accessLogBucket: s3.IBucket;
  /** The bus the function publishes its business events to. */
  readonly eventBus: events.IEventBus;
}

/**
 * One Lambda function as a definition (seed 000's infrastructure layer), in a stack of its own,
 * `<prefix>-<env>-fn-<name>` — seed 003's `CICDLambdaCreateOnPipeline.yml`: the function's
 * pipeline creates this stack when the function does not exist yet, and adding a function adds a
 * stack without touching the others.
 */
export class FunctionStack extends Stack {
  /** The function, its alias, trigger, alarms and deployment group. */
  readonly function: DeliveredFunction;
  /** Its dashboard, its operators' alarms and its composite alarm `<function>-health`. */
  readonly monitoring: FunctionMonitoring;

  constructor(scope: Construct, id: string, props: FunctionStackProps) {
    super(scope, id, props);
    const { naming, config, definition } = props;
    const { profile } = config;
    const { cluster, proxy } = props.database;
    this.function = new DeliveredFunction(this, `Fn-${definition.name}`, {
      naming,
      definition,
      vpc: props.vpc,
      securityGroup: props.appSecurityGroup,
      environment: {
        PGHOST: proxy ? proxy.endpoint : cluster.clusterEndpoint.hostname,
        PGPORT: cluster.clusterEndpoint.port.toString(),
        PGDATABASE: APPLICATION_DATABASE_NAME,
        // No password anywhere: an IAM token per new connection, as the application role; the
        // migrations run as the owner role.
        PGUSER: DATABASE_ROLES.app,
        DB_OWNER_USER: DATABASE_ROLES.owner,
        DB_AUTH: 'iam',
        PGSSLMODE: 'verify-full',
        // The RDS certificate authorities ship with the Lambda runtime but are not trusted by default.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        EVENT_BUS_NAME: props.eventBus.eventBusName,
      },
      encryptionKey: importKey(this, props.encryptionKey),
      logRetention: logRetention(config),
      retainData: profile.retainData,
      alarmTopic: props.alarmTopic,
      // By name: a stack its pipeline creates on its own needs no output of the deployment stack.
      deploymentConfig: codedeploy.LambdaDeploymentConfig.fromLambdaDeploymentConfigName(
        this,
        'DeploymentConfig',
        deploymentConfigName(profile.lambda.deployment, naming),
      ),
      alarmThresholds: profile.lambda,
      accessLogBucket: props.accessLogBucket,
      trafficHooks: trafficHookNames(naming),
      smokeEvent: definition.smokeEvent,
    });
    const { queue, deadLetterQueue } = this.function;
    // Named after the function, as its other constructs: logical IDs unique across the function stacks.
    this.monitoring = new FunctionMonitoring(this, `Monitoring-${definition.name}`, {
      functionName: naming.name(definition.name),
      function: this.function.function,
      timeoutSeconds: definition.manifest.timeoutSeconds,
      queue: queue && deadLetterQueue ? { queue, deadLetterQueue } : undefined,
      thresholds: profile.lambda.watch,
      alarmTopic: props.alarmTopic,
      logs: { logGroup: this.function.logGroup, thresholds: profile.observability.logs },
    });
    // Judged by the environment's canary watcher, when the profile says so and CodeDeploy shifts it.
    const judging = functionsWatched(profile);
    if (judging) {
      new JudgedDeployment(this, `Judged-${definition.name}`, {
        naming,
        group: { kind: 'lambda', ...codeDeployNames(naming.name(definition.name)), analysis: judging },
      });
    }
    props.eventBus.grantPutEventsTo(this.function.function);
    for (const user of [DATABASE_ROLES.app, DATABASE_ROLES.owner]) {
      props.database.grantConnect(this.function.function, user);
    }
  }
}
