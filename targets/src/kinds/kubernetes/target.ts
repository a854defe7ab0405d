import type { TargetEnvironment } from '../../environment';
import { Naming } from '../../naming';
import { crossAccountRoleArn } from '../../pipelines';
import { COLORS, type Color, KUBERNETES_STRATEGIES } from './strategies';

/**
 * Kubernetes applications live beside the container service whose image they run: the folder
 * `app/services/<name>` holds `kubernetes.json` as well as `service.json`, and the service's build
 * makes the one image both deploy (build once).
 */
export const KUBERNETES_FOLDER = 'app/services';

/** The file that makes a service folder a Kubernetes application on the environment's EKS cluster. */
export const KUBERNETES_MANIFEST_FILE = 'kubernetes.json';

/** The stack of a Kubernetes application in its environment's stage: construct id `k8s-<name>`. */
export function kubernetesStackId(name: string): string {
  return `k8s-${name}`;
}

/** The stack id of an environment's EKS cluster. */
export const CLUSTER_STACK_ID = 'eks';

/** The environment's EKS cluster, `<prefix>-<env>-eks`. */
export function eksClusterName(naming: Naming): string {
  return naming.name('eks');
}

/** The namespace every application of the environment runs in: `<prefix>-<env>`. */
export function kubernetesNamespace(naming: Naming): string {
  return naming.base;
}

/** Where the pods find their database login: the secrets provider's mount, read per new connection. */
export const DATABASE_SECRET_DIR = '/mnt/secrets/db';

/** The file of the login (the secret's JSON: `username`, `password`) in that mount. */
export const DATABASE_SECRET_FILE = `${DATABASE_SECRET_DIR}/login.json`;

/**
 * What the deploy project does, by its `ACTION` variable: `deploy` the image of `IMAGE` (a digest
 * reference) to the new color and switch to it, or `switch-back` every user to the color `TO`.
 */
export const KUBERNETES_ACTIONS = ['deploy', 'switch-back'] as const;

/** An action of the deploy project. */
export type KubernetesAction = (typeof KUBERNETES_ACTIONS)[number];

/**
 * The variables the deploy project exports when it ends (CodeBuild's `exported-variables`), which
 * its callers read from the build to record the release: the outcome (`succeeded`, `failed`,
 * `rolled-back`), the color serving now, its image, the manifest revision applied, and why it did not
 * go live (`REASON`, one line: the failure, or who switched back — an alarm or the canary judge).
 */
export const KUBERNETES_EXPORTED_VARIABLES = ['RESULT', 'COLOR', 'IMAGE', 'REVISION', 'REASON'] as const;

/** What a Kubernetes application's target reads of its definition. */
export interface KubernetesTargetDefinition {
  readonly name: string;
}

/**
 * The names of one Kubernetes application in one environment: the AWS ones (cluster, pod role,
 * load balancer, image repository, parameters) and the Kubernetes ones (in the environment's
 * namespace). Every layer names the objects through here.
 */
export function kubernetesTarget(
  env: TargetEnvironment,
  definition: KubernetesTargetDefinition,
  toolingAccount?: string,
) {
  const naming = new Naming(env.prefix, env.name);
  const app = definition.name;
  const qualified = naming.name(app);
  const deployment = env.profile.kubernetes?.deployment;
  return {
    environment: env.name,
    /** The application's name: its folder, and its `app.kubernetes.io/name` label. */
    app,
    clusterName: eksClusterName(naming),
    namespace: kubernetesNamespace(naming),
    stackName: naming.stackName(kubernetesStackId(app)),
    /** The image is the container service's: its repository in this environment. */
    repositoryName: qualified,
    /** SSM parameter holding the image the application runs (`none` until its first delivery). */
    imageParameter: naming.path('kubernetes', app, 'image'),
    /** The role its pods run as, through EKS Pod Identity. */
    podRoleName: naming.name(`${app}-pod`),
    /** The service account bound to that role. */
    serviceAccount: app,
    /** The Application Load Balancer the Ingress makes (the AWS Load Balancer Controller names it). */
    loadBalancerName: qualified.slice(0, 32).replace(/-+$/, ''),
    /** The Deployment of each color. */
    deployments: Object.fromEntries(COLORS.map((c) => [c, `${app}-${c}`])) as Record<Color, string>,
    /** The Service of each color (`ingress-switch` routes to them; the test Service is the new color's). */
    colorServices: Object.fromEntries(COLORS.map((c) => [c, `${app}-${c}`])) as Record<Color, string>,
    /** The stable Service users reach (`service-switch` moves its selector). */
    stableService: app,
    /** The internal Service that reaches the new color only, for its tests before the switch. */
    testService: `${app}-test`,
    ingress: app,
    configMap: `${app}-config`,
    /** The SecretProviderClass that mounts the database credentials. */
    secretProviderClass: `${app}-db`,
    /**
     * The Secrets Manager secret of the application's own database login (`{ username, password }`,
     * rotated by Secrets Manager), which the secrets provider mounts at {@link DATABASE_SECRET_FILE}.
     */
    databaseSecret: naming.path('db', `${app}-login`),
    /** That login's role in the database: a member of the application role, nothing more. */
    databaseLogin: `${app.replace(/-/g, '_')}_login`,
    /**
     * The CodeBuild project that deploys and switches the application from inside the VPC (the
     * cluster's endpoint is private): the pipelines, the GitHub workflows and `ias-ops` start it.
     */
    deployProject: naming.name(`${app}-k8s-deploy`),
    /** The name its dashboard, alarms and composite alarm start with (the ECS service has `<prefix>-<env>-<app>`). */
    monitoringName: naming.name(`${app}-k8s`),
    strategy: deployment?.strategy,
    /** Whether the strategy moves the Ingress's weights (else the stable Service's selector). */
    switches: deployment ? KUBERNETES_STRATEGIES[deployment.strategy].switches : undefined,
    /** The environment's account, when the profile names one. */
    account: env.profile.account,
    roleArn: crossAccountRoleArn(env, toolingAccount),
  };
}

/** A Kubernetes application's target in one environment. */
export type KubernetesTarget = ReturnType<typeof kubernetesTarget>;
