import { Aws } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Ec2Target } from '@ias/targets';

/** A setting of the application: a value, or the name of an SSM parameter the hooks read at each deployment. */
export type Ec2Setting = { readonly value: string } | { readonly parameter: string };

/** What the instances' first boot needs to know. */
export interface FleetUserDataProps {
  readonly target: Ec2Target;
  /** The application's settings, written to the settings file the appspec's hooks resolve. */
  readonly settings: Readonly<Record<string, Ec2Setting>>;
  /** Minutes the instance has to signal CloudFormation: the wait for the CodeDeploy agent fits in them. */
  readonly signalMinutes: number;
}

/** Where the CodeDeploy agent writes, on the instance: its own log and the hooks' output. */
const CODEDEPLOY_AGENT_LOGS = {
  agent: '/var/log/aws/codedeploy-agent/codedeploy-agent.log',
  hooks: '/opt/codedeploy-agent/deployment-root/deployment-logs/codedeploy-agent-deployments.log',
} as const;

/** The CodeDeploy agent's configuration, which its installer writes. */
const CODEDEPLOY_AGENT_CONFIG = '/etc/codedeploy-agent/conf/codedeployagent.yml';

/** The CloudWatch agent's configuration file, written by the user data. */
const CLOUDWATCH_AGENT_CONFIG = '/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json';

/**
 * The instance's first boot: the packages (cfn-bootstrap for the signal, the CloudWatch agent, Node.js
 * 20 for the bundle, Ruby for the CodeDeploy agent), the settings file the hooks resolve, the
 * CloudWatch agent's logs and metrics, then a wait for the CodeDeploy agent that Systems Manager
 * installs; the signal on exit tells CloudFormation whether all of it worked.
 */
export function writeFleetUserData(userData: ec2.UserData, props: FleetUserDataProps): void {
  const { target } = props;
  const { host } = target;
  const settings = Object.entries(props.settings).map(([name, s]) =>
    'parameter' in s ? `${name}=ssm:${s.parameter}` : `${name}=${s.value}`,
  );
  const cloudwatchAgent = {
    agent: { run_as_user: 'root' },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            {
              file_path: host.logFile,
              log_group_name: target.logGroups.application,
              log_stream_name: '{instance_id}',
            },
            {
              file_path: CODEDEPLOY_AGENT_LOGS.hooks,
              log_group_name: target.logGroups.deployments,
              log_stream_name: '{instance_id}/hooks',
            },
            {
              file_path: CODEDEPLOY_AGENT_LOGS.agent,
              log_group_name: target.logGroups.deployments,
              log_stream_name: '{instance_id}/agent',
            },
          ],
        },
      },
    },
    metrics: {
      namespace: 'CWAgent',
      append_dimensions: { AutoScalingGroupName: '${aws:AutoScalingGroupName}' },
      aggregation_dimensions: [['AutoScalingGroupName']],
      metrics_collected: {
        mem: { measurement: ['mem_used_percent'] },
        disk: { measurement: ['used_percent'], resources: ['/'] },
      },
    },
  };
  userData.addCommands(
    'set -euo pipefail',
    'dnf install -y aws-cfn-bootstrap amazon-cloudwatch-agent nodejs20 ruby',
    // nodejs20 installs node-20; the unit runs /usr/bin/node.
    'command -v node >/dev/null || ln -s "$(command -v node-20)" /usr/bin/node',
    `install -d -m 0755 ${dirOf(host.settingsFile)}`,
    `cat > ${host.settingsFile} <<'SETTINGS'`,
    `AWS_REGION=${Aws.REGION}`,
    ...settings,
    'SETTINGS',
    `chmod 0644 ${host.settingsFile}`,
    `install -d -m 0755 ${dirOf(host.logFile)}`,
    `cat > ${CLOUDWATCH_AGENT_CONFIG} <<'AGENT'`,
    JSON.stringify(cloudwatchAgent),
    'AGENT',
    `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${CLOUDWATCH_AGENT_CONFIG}`,
    // Systems Manager's association installs the CodeDeploy agent as the instance registers; it
    // then polls through codedeploy-commands-secure, authorized by the instance's role.
    `for _ in $(seq 1 ${(props.signalMinutes - 3) * 6}); do systemctl is-active --quiet codedeploy-agent && break; sleep 10; done`,
    'systemctl is-active --quiet codedeploy-agent',
    `grep -q '^:enable_auth_policy:' ${CODEDEPLOY_AGENT_CONFIG} || { echo ':enable_auth_policy: true' >> ${CODEDEPLOY_AGENT_CONFIG}; systemctl restart codedeploy-agent; }`,
    'systemctl is-active --quiet codedeploy-agent',
  );
}

/** The directory of an absolute file path. */
function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
