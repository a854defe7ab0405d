import type { AssemblyModel } from './assembly';
import { attribute, property, reference, resourcesOfType, secretArnBase, type Located } from './facts';
import type { Need } from './permissions';
import { CODE_ROLE, type Workload } from './workloads';

/** How a workload's code connects to PostgreSQL, as its settings say. */
export interface DatabaseClient {
  readonly host: string;
  readonly port: number;
  /** The database users it logs in as: the application role, and the migration role if any. */
  readonly users: readonly string[];
  /**
   * IAM authentication tokens, or a password: from the settings (`password`, read once), or from a
   * mounted secret file read on every new connection (`secret-file`, so a rotation needs no restart).
   */
  readonly auth: 'iam' | 'password' | 'secret-file';
  /** Whether the client uses TLS. */
  readonly tls: boolean;
  /**
   * Where a password comes from: a secret (ARN), read once at start (`password`: injected by ECS, or
   * fetched when the first connection opens), or mounted as the file `secret-file` reads.
   */
  readonly passwordSecret?: string;
  /**
   * For `secret-file`: the file it reads the login from on each new connection, and whether what
   * mounts it refreshes it with the secret's new versions.
   */
  readonly secretFile?: { readonly path: string; readonly refreshed: boolean };
}

/** What the workload needs of the database, as findings and as permissions to evaluate. */
export interface DatabaseVerdict {
  readonly findings: string[];
  readonly needs: Need[];
  /** The target's security groups and port, for the network check. */
  readonly target?: { readonly name: string; readonly groups: readonly string[]; readonly port: number };
}

interface Cluster {
  readonly located: Located;
  readonly identifier: string;
  readonly endpoint: string;
  readonly readEndpoint: string;
  readonly resourceId: string;
  readonly iamAuth: boolean;
  readonly forceTls: boolean;
  readonly groups: string[];
  readonly port: number;
}

function clusters(assembly: AssemblyModel, workload: Workload): Cluster[] {
  return resourcesOfType(assembly, 'AWS::RDS::DBCluster', workload.stage.stacks).map((located) => {
    const parameterGroupName = property(located, 'DBClusterParameterGroupName');
    const parameterGroup = resourcesOfType(
      assembly,
      'AWS::RDS::DBClusterParameterGroup',
      workload.stage.stacks,
    ).find((g) => reference(g) === parameterGroupName);
    const parameters = (parameterGroup ? property(parameterGroup, 'Parameters') : {}) as Record<
      string,
      unknown
    >;
    return {
      located,
      identifier: reference(located),
      endpoint: attribute(located, 'Endpoint.Address'),
      readEndpoint: attribute(located, 'ReadEndpoint.Address'),
      resourceId: attribute(located, 'DBClusterResourceId'),
      iamAuth: property(located, 'EnableIAMDatabaseAuthentication') === true,
      forceTls: String(parameters['rds.force_ssl'] ?? '0') === '1',
      groups: ((property(located, 'VpcSecurityGroupIds') ?? []) as unknown[]).map(String),
      port: Number(property(located, 'Port') ?? 5432),
    };
  });
}

function dbUserArn(workload: Workload, id: string, user: string): string {
  const { partition, region, account } = workload.scope.stack;
  return `arn:${partition}:rds-db:${region}:${account}:dbuser:${id}/${user}`;
}

function rotationDays(assembly: AssemblyModel, secretArn: string): number | undefined {
  for (const schedule of resourcesOfType(assembly, 'AWS::SecretsManager::RotationSchedule')) {
    if (secretArnBase(String(property(schedule, 'SecretId'))) === secretArnBase(secretArn)) {
      const rules = property(schedule, 'RotationRules') as
        { AutomaticallyAfterDays?: number; ScheduleExpression?: string } | undefined;
      return (
        rules?.AutomaticallyAfterDays ??
        (Number(/rate\((\d+) days?\)/.exec(rules?.ScheduleExpression ?? '')?.[1]) || 0)
      );
    }
  }
  return undefined;
}

/** Checks that a client authenticates the way its proxy or cluster requires, across rotations. */
export function checkDatabase(workload: Workload, client: DatabaseClient): DatabaseVerdict {
  const { assembly } = workload.scope;
  const findings: string[] = [];
  const needs: Need[] = [];
  const role = CODE_ROLE[workload.kind];
  // A mounted login's user is the secret's (rotation alternates it between the user and its clone).
  const users =
    client.auth === 'secret-file'
      ? [client.passwordSecret && secretUser(assembly, client.passwordSecret)].filter((u): u is string => !!u)
      : client.users;

  if (client.auth === 'password' && client.passwordSecret) {
    const days = rotationDays(assembly, client.passwordSecret);
    if (days !== undefined) {
      findings.push(
        `after the first credential rotation (every ${days} days) new connections fail until the process restarts: it reads the password of ${secretArnBase(client.passwordSecret)} once, at start — use IAM authentication tokens, one per new connection`,
      );
    }
  }
  if (client.auth === 'secret-file') {
    const file = client.secretFile?.path ?? '(DB_SECRET_FILE)';
    if (!client.passwordSecret) {
      findings.push(`every connection fails: it reads its login from ${file}, where no secret is mounted`);
    } else {
      const days = rotationDays(assembly, client.passwordSecret);
      if (days !== undefined && !client.secretFile?.refreshed) {
        findings.push(
          `within two credential rotations (every ${days} days; the previous login stays valid until the next) new connections fail until the pods restart: ${file} keeps the login of ${secretArnBase(client.passwordSecret)} read at start — turn on the secrets store CSI driver's rotation (its add-on configuration secrets-store-csi-driver.enableSecretRotation: true)`,
        );
      }
    }
  }

  const allClusters = clusters(assembly, workload);
  const proxy = resourcesOfType(assembly, 'AWS::RDS::DBProxy', workload.stage.stacks).find(
    (p) => attribute(p, 'Endpoint') === client.host,
  );
  if (proxy) {
    const name = reference(proxy);
    const proxyId = attribute(proxy, 'DBProxyArn').split(':').pop() ?? name;
    const auth = (property(proxy, 'Auth') ?? []) as {
      IAMAuth?: string;
      SecretArn?: string;
      AuthScheme?: string;
    }[];
    const scheme = String(property(proxy, 'DefaultAuthScheme') ?? 'NONE');
    const iamRequired =
      auth.length === 0 ? scheme === 'IAM_AUTH' : auth.every((a) => a.IAMAuth === 'REQUIRED');
    if (iamRequired && client.auth !== 'iam') {
      findings.push(
        `every connection is refused: the proxy ${name} requires IAM authentication (IAMAuth REQUIRED) and the client logs in with a password`,
      );
    }
    if (property(proxy, 'RequireTLS') === true && !client.tls) {
      findings.push(
        `every connection is refused: the proxy ${name} requires TLS and the client does not use it`,
      );
    }
    if (client.auth === 'iam') {
      for (const user of users) {
        needs.push({
          role,
          action: 'rds-db:connect',
          resource: dbUserArn(workload, proxyId, user),
          why: `its code connects to the proxy ${name} as ${user} with an IAM token`,
        });
      }
    }
    // Behind the proxy: how the proxy itself logs in to the cluster as that user.
    const target = resourcesOfType(assembly, 'AWS::RDS::DBProxyTargetGroup', workload.stage.stacks).find(
      (g) => String(property(g, 'DBProxyName')) === name,
    );
    const clusterIds = target
      ? ((property(target, 'DBClusterIdentifiers') ?? []) as unknown[]).map(String)
      : [];
    const cluster = allClusters.find((c) => clusterIds.includes(c.identifier));
    if (!cluster) {
      findings.push(`the proxy ${name} has no target cluster`);
    } else if (scheme === 'IAM_AUTH') {
      if (!cluster.iamAuth) {
        findings.push(
          `the proxy ${name} logs in with IAM (end-to-end) but the cluster ${cluster.identifier} has IAM authentication off`,
        );
      }
      const proxyRole = String(property(proxy, 'RoleArn'));
      for (const user of users) {
        needs.push({
          role: proxyRole,
          action: 'rds-db:connect',
          resource: dbUserArn(workload, cluster.resourceId, user),
          why: `the proxy ${name} logs in to ${cluster.identifier} as ${user} with IAM`,
        });
      }
    } else {
      const secretUsers = auth
        .filter((a) => a.SecretArn)
        .map((a) => secretUser(assembly, String(a.SecretArn)));
      for (const user of users) {
        if (!secretUsers.includes(user)) {
          findings.push(
            `every connection as ${user} is refused: the proxy ${name} has no secret for that user to log in to the cluster with`,
          );
        }
      }
    }
    const groups = ((property(proxy, 'VpcSecurityGroupIds') ?? []) as unknown[]).map(String);
    return { findings, needs, target: { name: `the proxy ${name}`, groups, port: 5432 } };
  }

  const cluster = allClusters.find((c) => c.endpoint === client.host || c.readEndpoint === client.host);
  if (!cluster) {
    findings.push(
      `its database host ${client.host} is neither a proxy nor a cluster endpoint of this environment`,
    );
    return { findings, needs };
  }
  if (client.auth === 'iam') {
    if (!cluster.iamAuth) {
      findings.push(
        `every connection is refused: the client uses IAM tokens and the cluster ${cluster.identifier} has IAM authentication off`,
      );
    }
    for (const user of users) {
      needs.push({
        role,
        action: 'rds-db:connect',
        resource: dbUserArn(workload, cluster.resourceId, user),
        why: `its code connects to the cluster ${cluster.identifier} as ${user} with an IAM token`,
      });
    }
  }
  if (cluster.forceTls && !client.tls) {
    findings.push(
      `every connection is refused: the cluster ${cluster.identifier} forces TLS (rds.force_ssl) and the client does not use it`,
    );
  }
  if (client.port !== cluster.port) {
    findings.push(
      `it connects to port ${client.port}; the cluster ${cluster.identifier} listens on ${cluster.port}`,
    );
  }
  return {
    findings,
    needs,
    target: { name: `the cluster ${cluster.identifier}`, groups: cluster.groups, port: cluster.port },
  };
}

/** The user name a generated credentials secret holds. */
function secretUser(assembly: AssemblyModel, arn: string): string {
  const secret = resourcesOfType(assembly, 'AWS::SecretsManager::Secret').find(
    (s) => reference(s) === secretArnBase(arn),
  );
  const generate = secret
    ? (property(secret, 'GenerateSecretString') as { SecretStringTemplate?: string } | undefined)
    : undefined;
  try {
    return String(
      (JSON.parse(generate?.SecretStringTemplate ?? '{}') as { username?: string }).username ?? '',
    );
  } catch {
    return '';
  }
}
