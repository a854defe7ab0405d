import { Duration, Stack } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { FunctionDefinition } from '../config/functions';
import type { LAMBDA_DEPLOYMENTS } from '../config/profile-schema';
import type { AlarmTopic } from '../constructs/alarm-topic';
import type { Database } from '../constructs/database';
import { DeliveredFunction } from '../constructs/delivered-function';
import { APPLICATION_DATABASE_NAME } from './data-stack';
import { importKey, logRetention, type EnvironmentStackProps } from './environment-stack-props';

/** Props of {@link FunctionsStack}. */
export interface FunctionsStackProps extends EnvironmentStackProps {
  /** The functions to define (every manifest under app/functions). */
  readonly functions: readonly FunctionDefinition[];
  readonly vpc: ec2.IVpc;
  readonly appSecurityGroup: ec2.ISecurityGroup;
  readonly database: Database;
  readonly encryptionKey: kms.IKey;
  readonly alarmTopic: AlarmTopic;
  readonly accessLogBucket: s3.IBucket;
}

/**
 * The Lambda functions of the environment, as definitions (seed 000's infrastructure layer):
 * each with its alias, trigger, alarms and CodeDeploy deployment group. Also seed 003's custom
 * deployment configuration, linear 25 % every 10 minutes, under its own name.
 */
export class FunctionsStack extends Stack {
  readonly functions: ReadonlyMap<string, DeliveredFunction>;
  /** Seed 003's `${ProjectName}-config`: time-based linear, 25 % every 10 minutes. */
  readonly seedLinearConfig: codedeploy.LambdaDeploymentConfig;

  constructor(scope: Construct, id: string, props: FunctionsStackProps) {
    super(scope, id, props);
    const { naming, config } = props;
    const { profile } = config;
    const key = importKey(this, props.encryptionKey);

    this.seedLinearConfig = new codedeploy.LambdaDeploymentConfig(this, 'Linear25Every10Minutes', {
      deploymentConfigName: naming.name('lambda-linear-25-every-10-minutes'),
      trafficRouting: codedeploy.TrafficRouting.timeBasedLinear({
        interval: Duration.minutes(10),
        percentage: 25,
      }),
    });
    const deploymentConfig = this.deploymentConfig(profile.lambda.deployment);

    const { cluster, proxy, secret } = props.database;
    const environment = {
      PGHOST: proxy ? proxy.endpoint : cluster.clusterEndpoint.hostname,
      PGPORT: cluster.clusterEndpoint.port.toString(),
      PGDATABASE: APPLICATION_DATABASE_NAME,
      PGSSLMODE: 'require',
      // The RDS certificate authorities ship with the Lambda runtime but are not trusted by default.
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      DB_SECRET_ARN: secret.secretArn,
    };

    const functions = new Map<string, DeliveredFunction>();
    for (const definition of props.functions) {
      functions.set(
        definition.name,
        new DeliveredFunction(this, `Fn-${definition.name}`, {
          naming,
          definition,
          vpc: props.vpc,
          securityGroup: props.appSecurityGroup,
          environment,
          databaseSecret: secret,
          encryptionKey: key,
          logRetention: logRetention(config),
          retainData: profile.retainData,
          alarmTopic: props.alarmTopic,
          deploymentConfig,
          alarmThresholds: profile.lambda,
          accessLogBucket: props.accessLogBucket,
        }),
      );
    }
    this.functions = functions;
  }

  private deploymentConfig(choice: (typeof LAMBDA_DEPLOYMENTS)[number]): codedeploy.ILambdaDeploymentConfig {
    switch (choice) {
      case 'all-at-once':
        return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE;
      case 'linear':
        return codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE;
      case 'canary':
        return codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES;
      case 'linear-25-every-10-minutes':
        return this.seedLinearConfig;
    }
  }
}
