import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Props of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** Topic name, `<prefix>-<env>-alarms`. */
  readonly topicName: string;
  /** Key the topic's messages are encrypted with (CloudWatch may use it). */
  readonly encryptionKey: kms.IKey;
  /** E-mail addresses subscribed to the topic. */
  readonly notificationEmails: readonly string[];
}

/**
 * The environment's alarm topic: encrypted, TLS-only, with the profile's e-mail subscriptions.
 *
 * Every alarm of the environment goes through {@link AlarmTopic.notify}, which sends both the
 * ALARM and the OK transition here: an alarm without an action is not worth having.
 */
export class AlarmTopic extends Construct {
  /** The topic. */
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Resource', {
      topicName: props.topicName,
      displayName: props.topicName,
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    for (const email of props.notificationEmails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.action = new actions.SnsAction(this.topic);
  }

  /** Sends the alarm's ALARM and OK transitions to the topic; returns the alarm. */
  notify<T extends cloudwatch.Alarm>(alarm: T): T {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }
}
