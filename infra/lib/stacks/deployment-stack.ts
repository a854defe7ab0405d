import { Duration, Stack } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { DeliveryCode } from '../config/delivery-code';
import { TrafficHooks } from '../constructs/traffic-hooks';
import { CanaryWatcher } from '../constructs/canary-watcher';
import { needsCanaryWatcher } from '../config/canary-analysis-schema';
import { ledgerTableName, deploymentConfigName, SEED_LINEAR_CONFIG } from '@ias/targets';
import { ReleaseLedger } from '../constructs/release-ledger';
import { importKey, logRetention, type EnvironmentStackProps } from './environment-stack-props';

/** Props of {@link DeploymentStack}. */
export interface DeploymentStackProps extends EnvironmentStackProps {
  /** The environment key (the hooks' log groups). */
  readonly encryptionKey: kms.IKey;
  /** The delivery code the traffic hooks run. */
  readonly deliveryCode: DeliveryCode;
}

/**
 * What every function deployment of the environment shares: seed 003's custom deployment
 * configuration (time-based linear, 25 % every 10 minutes) under its own name, and the CodeDeploy
 * traffic hooks, and the release ledger every deployment records into; and, when the profile
 * judges CodeDeploy deployments here, the canary watcher.
 */
export class DeploymentStack extends Stack {
  /** Seed 003's `${ProjectName}-config`: time-based linear, 25 % every 10 minutes. */
  readonly seedLinearConfig: codedeploy.LambdaDeploymentConfig;
  /** The BeforeAllowTraffic and AfterAllowTraffic hooks. */
  readonly trafficHooks: TrafficHooks;
  /** `<prefix>-<env>-releases`: what went live, release by release. */
  readonly ledger: ReleaseLedger;
  /** The canary watcher, when the profile has CodeDeploy deployments judged here. */
  readonly canaryWatcher?: CanaryWatcher;

  constructor(scope: Construct, id: string, props: DeploymentStackProps) {
    super(scope, id, props);
    const { naming, config } = props;

    this.seedLinearConfig = new codedeploy.LambdaDeploymentConfig(this, 'Linear25Every10Minutes', {
      deploymentConfigName: deploymentConfigName(SEED_LINEAR_CONFIG.strategy, naming),
      trafficRouting: codedeploy.TrafficRouting.timeBasedLinear({
        interval: Duration.minutes(SEED_LINEAR_CONFIG.intervalMinutes),
        percentage: SEED_LINEAR_CONFIG.percentage,
      }),
    });
    this.trafficHooks = new TrafficHooks(this, 'TrafficHooks', {
      naming,
      code: props.deliveryCode,
      logRetention: logRetention(config),
      encryptionKey: importKey(this, props.encryptionKey),
      retainData: config.profile.retainData,
    });
    this.ledger = new ReleaseLedger(this, 'Releases', {
      tableName: ledgerTableName(naming.prefix, naming.env),
      encryptionKey: importKey(this, props.encryptionKey),
      retainData: config.profile.retainData,
    });
    if (needsCanaryWatcher(config.profile)) {
      this.canaryWatcher = new CanaryWatcher(this, 'CanaryWatcher', {
        naming,
        code: props.deliveryCode,
        ledger: this.ledger,
        logRetention: logRetention(config),
        encryptionKey: importKey(this, props.encryptionKey),
        retainData: config.profile.retainData,
      });
    }
  }
}
