import { codeDeployNames } from '../../codedeploy';
import type { TargetEnvironment } from '../../environment';
import { Naming } from '../../naming';
import { crossAccountRoleArn } from '../../pipelines';
import { EC2_STYLE_TRAITS, ec2DeploymentConfigName } from './strategies';

/**
 * EC2 applications live beside the container service whose build makes their bundle: the folder
 * `app/services/<name>` holds `ec2.json` as well as `service.json`, and the service's build packs the
 * image's bundle into the CodeDeploy revision (build once).
 */
export const EC2_FOLDER = 'app/services';

/** The file that makes a service folder an EC2 application in an Auto Scaling group. */
export const EC2_MANIFEST_FILE = 'ec2.json';

/** The folder, under the application's, holding its `appspec.yml` and hook scripts. */
export const EC2_REVISION_FOLDER = 'ec2';

/** The stack of an EC2 application in its environment's stage: construct id `ec2-<name>`. */
export function ec2StackId(name: string): string {
  return `ec2-${name}`;
}

/**
 * The tag every instance of an application's fleet carries (from its launch template, so CodeDeploy's
 * copies of the group carry it too): Systems Manager keeps the CodeDeploy agent current on the
 * instances it selects.
 */
export const EC2_FLEET_TAG = 'ias:fleet';

/**
 * Where things are on an instance, for the launch template's user data, the appspec's hook scripts and
 * the CloudWatch agent: one table, so the three agree.
 */
export function ec2HostPaths(app: string) {
  return {
    /** The unprivileged user the application runs as (no login shell, no home). */
    user: app,
    /** The systemd unit. */
    unit: `${app}.service`,
    /** Where the revision's bundle is installed (`dist/main.js`, `dist/certs/…`). */
    installDir: `/opt/${app}`,
    /**
     * The environment's settings, written by the launch template's user data: `NAME=value`, or
     * `NAME=ssm:<parameter>` for a value the hooks read from Systems Manager at each deployment.
     */
    settingsFile: `/etc/${app}/settings.env`,
    /** The resolved environment the unit starts with (root-owned, readable by the user's group only). */
    environmentFile: `/etc/${app}/app.env`,
    /** The application's output (the unit appends stdout and stderr), which the CloudWatch agent ships. */
    logFile: `/var/log/${app}/app.log`,
  } as const;
}

/**
 * What CodeDeploy names the copies it makes of a blue/green deployment group's Auto Scaling group, up
 * to the deployment ID (`CodeDeploy_<group>_d-…`): the copies the group's resource deletes with it.
 */
export function codeDeployCopyPrefix(deploymentGroup: string): string {
  return `CodeDeploy_${deploymentGroup}_`;
}

/** What an EC2 application's target reads of its definition. */
export interface Ec2TargetDefinition {
  readonly name: string;
}

/**
 * The names of one EC2 application in one environment: its fleet (launch template, Auto Scaling
 * group, instance role), its load balancer, its CodeDeploy application and group, its logs. Every
 * layer names them through here.
 */
export function ec2Target(env: TargetEnvironment, definition: Ec2TargetDefinition, toolingAccount?: string) {
  const naming = new Naming(env.prefix, env.name);
  const app = definition.name;
  const fleet = naming.name(`${app}-ec2`);
  const deployment = env.profile.ec2?.deployment;
  const short = fleet.slice(0, 32).replace(/-+$/, '');
  return {
    environment: env.name,
    /** The application's name: its folder. */
    app,
    stackName: naming.stackName(ec2StackId(app)),
    /** `<prefix>-<env>-<app>-ec2`: the Auto Scaling group CloudFormation creates (blue/green replaces it with copies). */
    autoScalingGroupName: fleet,
    launchTemplateName: fleet,
    /** The role the instances run as (their instance profile has the same name). */
    instanceRoleName: naming.name(`${app}-instance`),
    /** The value of {@link EC2_FLEET_TAG} on its instances. */
    fleetTag: fleet,
    /** The Application Load Balancer and its target group (32 characters at most each). */
    loadBalancerName: short,
    targetGroupName: short,
    /** CodeDeploy's application (`…-ec2-app`) and deployment group (`…-ec2-group`). */
    ...codeDeployNames(fleet),
    /**
     * The function behind a blue/green group's custom resource (CloudFormation cannot hold that group):
     * `<prefix>-<env>-<app>-ec2-group-resource`, and its provider framework's `…-provider`.
     */
    groupResourceFunction: `${fleet}-group-resource`,
    /** CodeDeploy's deployment configuration for the profile's hosts setting. */
    deploymentConfig: deployment ? ec2DeploymentConfigName(deployment.hosts, naming, app) : undefined,
    style: deployment?.style,
    /** CodeDeploy's deployment type for the style. */
    deploymentType: deployment ? EC2_STYLE_TRAITS[deployment.style].deploymentType : undefined,
    /** The application's output and the CodeDeploy agent's deployment logs, shipped by the CloudWatch agent. */
    logGroups: {
      application: `/aws/ec2/${fleet}/application`,
      deployments: `/aws/ec2/${fleet}/codedeploy`,
    },
    /** The name its dashboard, alarms and composite alarm start with. */
    monitoringName: fleet,
    /** The Systems Manager association that installs the CodeDeploy agent and keeps it current. */
    agentAssociation: naming.name(`${app}-ec2-codedeploy-agent`),
    host: ec2HostPaths(app),
    /** The environment's account, when the profile names one. */
    account: env.profile.account,
    roleArn: crossAccountRoleArn(env, toolingAccount),
  };
}

/** An EC2 application's target in one environment. */
export type Ec2Target = ReturnType<typeof ec2Target>;
