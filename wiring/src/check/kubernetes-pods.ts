/**
 * A Kubernetes application's pods, as its deploy starts them: the objects the delivery renders from
 * the deploy file give their settings (the ConfigMap and the container's variables), the secrets the
 * secrets provider mounts (the database login), and their service account, whose EKS Pod Identity
 * association gives their role; the cluster gives their network.
 */
import { posix } from 'node:path';
import type { DeployFile, KubernetesObject } from '@ias/delivery';
import { parse } from 'yaml';
import type { CfnResource } from './assembly';
import { attribute, property, reference, resourcesOfType, resourceWhere, type Located } from './facts';
import { resolveString } from './resolve';
import type { MountedSecret, Workload, WorkloadProblem, WorkloadRole } from './workloads';

/** The CSI driver that mounts secrets from a SecretProviderClass. */
const SECRETS_STORE_DRIVER = 'secrets-store.csi.k8s.io';

/**
 * The EKS add-on that installs that driver with the AWS provider, and the setting of its
 * configuration that makes the driver refresh mounted files with the secrets' new versions (off
 * unless set: a mounted file otherwise keeps what was read when the pod started).
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/integrating_csi_driver.html
 * @see https://secrets-store-csi-driver.sigs.k8s.io/topics/secret-auto-rotation
 */
const SECRETS_PROVIDER_ADDON = 'aws-secrets-store-csi-driver-provider';

/** The service that hands pods their role (EKS Pod Identity), and what its trust must allow. */
const POD_IDENTITY = { principal: 'pods.eks.amazonaws.com', actions: ['sts:AssumeRole', 'sts:TagSession'] };

interface Container {
  readonly env?: readonly { readonly name: string; readonly value?: string }[];
  readonly envFrom?: readonly { readonly configMapRef?: { readonly name: string } }[];
  readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string }[];
}

interface PodSpec {
  readonly serviceAccountName?: string;
  readonly containers?: readonly Container[];
  readonly volumes?: readonly {
    readonly name: string;
    readonly csi?: { readonly driver: string; readonly volumeAttributes?: Record<string, string> };
  }[];
}

/** The pods a deploy starts: their settings, mounted secrets, role and network. */
export function kubernetesPods(
  project: Workload,
  file: DeployFile,
  objects: readonly KubernetesObject[],
  cluster: Located,
  network: { securityGroups: string[]; subnets: string[] },
): Workload | undefined {
  const deployment = objects.find((o) => o.kind === 'Deployment');
  if (!deployment) {
    return undefined;
  }
  const namespace = deployment.metadata.namespace ?? 'default';
  const spec = ((deployment['spec'] as { template?: { spec?: PodSpec } } | undefined)?.template?.spec ??
    {}) as PodSpec;
  const clusterName = reference(cluster);
  const problems: WorkloadProblem[] = [];
  const of = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);

  // Kubernetes sets the container's own variables over those of its ConfigMaps.
  const environment: Record<string, string> = {};
  const mounted: Record<string, MountedSecret> = {};
  for (const container of spec.containers ?? []) {
    for (const from of container.envFrom ?? []) {
      const data = (of('ConfigMap', from.configMapRef?.name ?? '')?.['data'] ?? {}) as Record<string, string>;
      Object.assign(environment, data);
    }
    for (const variable of container.env ?? []) {
      environment[variable.name] = variable.value ?? '';
    }
    for (const mount of container.volumeMounts ?? []) {
      const csi = spec.volumes?.find((v) => v.name === mount.name)?.csi;
      if (csi?.driver !== SECRETS_STORE_DRIVER) {
        continue;
      }
      const providerClass = csi.volumeAttributes?.['secretProviderClass'] ?? '';
      const secrets = mountedSecrets(project, cluster, of('SecretProviderClass', providerClass), problems);
      for (const [file, secret] of Object.entries(secrets)) {
        mounted[posix.join(mount.mountPath, file)] = secret;
      }
    }
  }

  const serviceAccount = spec.serviceAccountName ?? 'default';
  const association = resourcesOfType(
    project.scope.assembly,
    'AWS::EKS::PodIdentityAssociation',
    project.stage.stacks,
  ).find(
    (a) =>
      property(a, 'ClusterName') === clusterName &&
      property(a, 'Namespace') === namespace &&
      property(a, 'ServiceAccount') === serviceAccount,
  );
  const roles: WorkloadRole[] = [];
  if (association) {
    const arn = resolveString(association.scope, association.resource.Properties?.RoleArn);
    const role: WorkloadRole = { label: 'pod role', arn, name: arn.split('/').pop() ?? arn };
    roles.push(role);
    if (!trustsPodIdentity(project, arn)) {
      problems.push({
        check: 'permissions',
        fails: `its pods get no AWS credentials: EKS Pod Identity cannot hand them ${role.name}`,
        missing: `a trust policy statement letting ${POD_IDENTITY.principal} ${POD_IDENTITY.actions.join(' and ')}`,
      });
    }
  } else {
    problems.push({
      check: 'permissions',
      fails: 'its pods get no AWS credentials',
      missing: `an EKS Pod Identity association for ${namespace}/${serviceAccount} on ${clusterName}`,
    });
  }
  const where: { logicalId: string; resource: CfnResource } = association ?? project;
  return {
    name: `${namespace}/${file.target.app} pods`,
    kind: 'pods',
    // The pods run the service's image: its code, its recording and its settings schema.
    recordings: [`svc:${file.target.app}`],
    stage: project.stage,
    scope: association?.scope ?? project.scope,
    logicalId: where.logicalId,
    resource: where.resource,
    roles,
    environment,
    injected: {},
    mounted,
    network,
    problems,
  };
}

/**
 * The secrets a SecretProviderClass of the AWS provider mounts, by file name (its alias, else the
 * secret's name): each secret's ARN in the assembly, and whether the driver refreshes the file.
 */
function mountedSecrets(
  workload: Workload,
  cluster: Located,
  providerClass: KubernetesObject | undefined,
  problems: WorkloadProblem[],
): Record<string, MountedSecret> {
  const clusterName = reference(cluster);
  if (!providerClass) {
    problems.push({
      check: 'configuration',
      fails: 'its pods never start: the secrets volume names a SecretProviderClass the deploy does not apply',
      missing: 'the SecretProviderClass of its secrets volume',
    });
    return {};
  }
  const addon = resourcesOfType(workload.scope.assembly, 'AWS::EKS::Addon', workload.stage.stacks).find(
    (a) => property(a, 'AddonName') === SECRETS_PROVIDER_ADDON && property(a, 'ClusterName') === clusterName,
  );
  if (!addon) {
    problems.push({
      check: 'configuration',
      fails: `its pods never start: nothing on ${clusterName} mounts its ${SECRETS_STORE_DRIVER} volume`,
      missing: `the EKS add-on ${SECRETS_PROVIDER_ADDON} on ${clusterName}`,
    });
  }
  const refreshed = addon !== undefined && rotationEnabled(property(addon, 'ConfigurationValues'));
  const parameters = ((providerClass['spec'] as { parameters?: Record<string, string> } | undefined)
    ?.parameters ?? {}) as Record<string, string>;
  const objects = (parse(parameters['objects'] ?? '[]') ?? []) as {
    objectName: string;
    objectType?: string;
    objectAlias?: string;
  }[];
  const region = parameters['region'] ?? workload.scope.stack.region;
  const found: Record<string, MountedSecret> = {};
  for (const object of objects) {
    if (object.objectType !== undefined && object.objectType !== 'secretsmanager') {
      continue;
    }
    const file = object.objectAlias ?? posix.basename(object.objectName);
    found[file] = { secret: secretArn(workload, object.objectName, region, problems), refreshed };
  }
  return found;
}

/** Whether an add-on configuration turns on the driver's rotation of mounted secrets. */
function rotationEnabled(configuration: unknown): boolean {
  if (typeof configuration !== 'string') {
    return false;
  }
  try {
    const values = parse(configuration) as {
      'secrets-store-csi-driver'?: { enableSecretRotation?: unknown };
    };
    return String(values?.['secrets-store-csi-driver']?.enableSecretRotation) === 'true';
  } catch {
    return false;
  }
}

/** A secret's ARN by name or ARN: the assembly's secret of that name, or (missing) a stand-in and a problem. */
function secretArn(workload: Workload, name: string, region: string, problems: WorkloadProblem[]): string {
  if (name.startsWith('arn:')) {
    return name;
  }
  const secret = resourceWhere(
    workload.scope.assembly,
    'AWS::SecretsManager::Secret',
    'Name',
    name,
    workload.stage.stacks,
  );
  if (secret) {
    return reference(secret);
  }
  problems.push({
    check: 'configuration',
    fails: `its pods never start: the secrets provider finds no secret ${name} to mount`,
    missing: `the secret ${name}`,
  });
  const { partition, account } = workload.scope.stack;
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;
}

/** Whether the role's trust policy lets EKS Pod Identity assume it and tag the session. */
function trustsPodIdentity(workload: Workload, roleArn: string): boolean {
  const role = resourcesOfType(workload.scope.assembly, 'AWS::IAM::Role').find(
    (r) => attribute(r, 'Arn') === roleArn,
  );
  if (!role) {
    return true; // a role the assembly does not define: its trust is not the assembly's to prove
  }
  const document = property(role, 'AssumeRolePolicyDocument') as
    { Statement?: { Effect?: string; Principal?: { Service?: unknown }; Action?: unknown }[] } | undefined;
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)]);
  return POD_IDENTITY.actions.every((action) =>
    (document?.Statement ?? []).some(
      (s) =>
        s.Effect === 'Allow' &&
        list(s.Principal?.Service).includes(POD_IDENTITY.principal) &&
        list(s.Action).some((a) => a === action || a === 'sts:*' || a === '*'),
    ),
  );
}
