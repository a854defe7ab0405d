import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentProfile } from '../config/profile-schema';

/** Props of {@link ChatChannels}. */
export interface ChatChannelsProps {
  /** `<prefix>-<env>-alarms`: names the role and each channel configuration (`<name>-slack`, `<name>-teams`). */
  readonly name: string;
  /** The topics whose messages the channels receive. */
  readonly topics: readonly sns.ITopic[];
  /** The profile's chat channels. */
  readonly chat: EnvironmentProfile['observability']['chat'];
}

/**
 * The alarm topic in chat (seed 002): an AWS Chatbot channel configuration per Slack or Microsoft
 * Teams channel the profile names, subscribed to the topics. Notifications only: the channels'
 * role has no permissions and the guardrail is read-only CloudWatch, so no one runs a command
 * against the account from chat. The workspace or team must have been authorized once in the
 * Chatbot console (an OAuth step no template can take).
 */
export class ChatChannels extends Construct {
  /** The channel configurations made, Slack first. */
  readonly channels: readonly Construct[];

  constructor(scope: Construct, id: string, props: ChatChannelsProps) {
    super(scope, id);
    const { slack, teams } = props.chat;
    const channels: Construct[] = [];
    if (slack === undefined && teams === undefined) {
      this.channels = channels;
      return;
    }
    const role = new iam.Role(this, 'Role', {
      roleName: `${props.name}-chatbot`,
      description: `${props.name} in chat: AWS Chatbot posts the topic's messages; no permissions, so nothing is run from chat`,
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
    });
    const guardrail = iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess');
    if (slack !== undefined) {
      channels.push(
        new chatbot.SlackChannelConfiguration(this, 'Slack', {
          slackChannelConfigurationName: `${props.name}-slack`,
          slackWorkspaceId: slack.workspaceId,
          slackChannelId: slack.channelId,
          notificationTopics: [...props.topics],
          role,
          guardrailPolicies: [guardrail],
          loggingLevel: chatbot.LoggingLevel.NONE,
        }),
      );
    }
    if (teams !== undefined) {
      channels.push(
        new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, 'Teams', {
          configurationName: `${props.name}-teams`,
          iamRoleArn: role.roleArn,
          teamId: teams.teamId,
          teamsTenantId: teams.tenantId,
          teamsChannelId: teams.channelId,
          snsTopicArns: props.topics.map((t) => t.topicArn),
          guardrailPolicies: [guardrail.managedPolicyArn],
          loggingLevel: 'NONE',
        }),
      );
    }
    this.channels = channels;
  }
}
