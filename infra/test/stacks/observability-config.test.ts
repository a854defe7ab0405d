import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { environmentConfig, stageTemplates } from '../support/stages';

const dev = stageTemplates('dev');
const prod = stageTemplates('prod');

describe('observability stack', () => {
  it('has an encrypted alarm topic with the profile e-mail subscriptions', () => {
    expect(dev.stage.observability.stackName).toBe('ias-dev-observability');
    dev.observability.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'ias-dev-alarms',
      KmsMasterKeyId: Match.anyValue(),
    });
    dev.observability.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'platform-dev@example.com',
    });
    dev.observability.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('alarms on database CPU, capacity, connections and freeable memory with the profile thresholds, to the topic on ALARM and OK', () => {
    const topic = { Ref: Match.stringLikeRegexp('^AlarmTopic') };
    dev.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ias-dev-db-cpu',
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/RDS',
      Threshold: 90,
      EvaluationPeriods: 5,
      AlarmActions: [topic],
      OKActions: [topic],
    });
    prod.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ias-prod-db-capacity',
      MetricName: 'ACUUtilization',
      Threshold: 80,
      EvaluationPeriods: 3,
    });
    prod.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ias-prod-db-connections',
      MetricName: 'DatabaseConnections',
      Threshold: 500,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic],
    });
    prod.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ias-prod-db-freeable-memory',
      MetricName: 'FreeableMemory',
      Statistic: 'Minimum',
      Threshold: 1024 * 1024 * 1024,
      ComparisonOperator: 'LessThanThreshold',
      AlarmActions: [topic],
    });
  });

  it('sends deployment failures and AWS Health events to the alarm topic, which EventBridge may publish to', () => {
    const topic = { Ref: Match.stringLikeRegexp('^AlarmTopic') };
    for (const [name, source, detailType, detail] of [
      [
        'ias-prod-codedeploy-failures',
        'aws.codedeploy',
        'CodeDeploy Deployment State-change Notification',
        { state: ['FAILURE', 'STOP'] },
      ],
      [
        'ias-prod-ecs-deployment-failures',
        'aws.ecs',
        'ECS Deployment State Change',
        { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
      ],
      ['ias-prod-health-events', 'aws.health', 'AWS Health Event', undefined],
    ] as const) {
      prod.observability.hasResourceProperties('AWS::Events::Rule', {
        Name: name,
        EventPattern: { source: [source], 'detail-type': [detailType], ...(detail ? { detail } : {}) },
        Targets: [Match.objectLike({ Arn: topic })],
      });
    }
    prod.observability.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'events.amazonaws.com' },
          }),
        ]),
      },
    });
    // The topic is encrypted: EventBridge may use the environment key for it.
    prod.foundation.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowEventBridgeToPublishToEncryptedTopics',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('has the environment dashboard', () => {
    dev.observability.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'ias-dev-overview',
    });
  });
});

describe('config stack', () => {
  it('publishes every parameter under /<prefix>/<env>/', () => {
    expect(dev.stage.configuration.stackName).toBe('ias-dev-config');
    const names = Object.values(dev.config.findResources('AWS::SSM::Parameter')).map(
      (p) => p.Properties.Name as string,
    );
    expect(names.sort()).toEqual(
      [
        '/ias/dev/alarms/topic-arn',
        '/ias/dev/artifacts/bucket',
        '/ias/dev/codeartifact/domain',
        '/ias/dev/codeartifact/repository',
        '/ias/dev/db/endpoint',
        '/ias/dev/db/name',
        '/ias/dev/db/port',
        '/ias/dev/db/secret-arn',
        '/ias/dev/db/writer-endpoint',
        '/ias/dev/ecr/inventory-api/repository-uri',
        '/ias/dev/network/app-security-group-id',
        '/ias/dev/network/private-subnet-ids',
        '/ias/dev/network/vpc-id',
        '/ias/dev/ops/operator-policy-arn',
        '/ias/dev/services/inventory-api/image',
      ].sort(),
    );
  });

  it('points applications at the proxy when there is one, else at the cluster writer', () => {
    const endpoint = (t: typeof dev.config) =>
      JSON.stringify(
        Object.values(
          t.findResources('AWS::SSM::Parameter', {
            Properties: { Name: Match.stringLikeRegexp('/db/endpoint$') },
          }),
        )[0]?.Properties.Value,
      );
    expect(endpoint(prod.config)).toContain('DatabaseClusterProxy');
    expect(endpoint(dev.config)).toContain('DatabaseCluster5B53A178');
    expect(endpoint(dev.config)).not.toContain('Proxy');
  });

  it('never holds a secret value: the database password stays in Secrets Manager', () => {
    dev.config.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/ias/dev/db/secret-arn',
      Type: 'String',
    });
    expect(JSON.stringify(dev.config.toJSON())).not.toContain('resolve:secretsmanager');
  });
});

describe('chat', () => {
  it('sends the alarm topic to the Slack and Teams channels a profile names, through a role that can do nothing', () => {
    const config = environmentConfig('staging');
    const chat = {
      slack: { workspaceId: 'T0123456789', channelId: 'C0123456789' },
      teams: {
        teamId: '0a1b2c3d-4e5f-4789-abcd-ef0123456789',
        tenantId: '1a1b2c3d-4e5f-4789-abcd-ef0123456789',
        channelId: '19:abc@thread.tacv2',
      },
    };
    const withChat = stageTemplates('staging', {
      ...config,
      profile: { ...config.profile, observability: { ...config.profile.observability, chat } },
    }).observability;
    const topic = [{ Ref: Match.stringLikeRegexp('^AlarmTopic') }];
    withChat.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'ias-staging-alarms-slack',
      SlackWorkspaceId: 'T0123456789',
      SlackChannelId: 'C0123456789',
      SnsTopicArns: topic,
    });
    expect(JSON.stringify(withChat.findResources('AWS::Chatbot::SlackChannelConfiguration'))).toContain(
      ':iam::aws:policy/CloudWatchReadOnlyAccess',
    );
    withChat.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: 'ias-staging-alarms-teams',
      TeamsChannelId: '19:abc@thread.tacv2',
      SnsTopicArns: topic,
    });
    withChat.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ias-staging-alarms-chatbot',
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'chatbot.amazonaws.com' } })],
      },
    });
    const role = Object.values(withChat.findResources('AWS::IAM::Role')).find(
      (r) => r.Properties.RoleName === 'ias-staging-alarms-chatbot',
    );
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role?.Properties.Policies).toBeUndefined();
    expect(Object.keys(withChat.findResources('AWS::IAM::Policy'))).toEqual([]);
  });

  it('makes no chat channel where the profile names none', () => {
    for (const t of [dev.observability, prod.observability]) {
      expect(t.findResources('AWS::Chatbot::SlackChannelConfiguration')).toEqual({});
      expect(t.findResources('AWS::Chatbot::MicrosoftTeamsChannelConfiguration')).toEqual({});
    }
  });
});
