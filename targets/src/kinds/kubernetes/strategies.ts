/**
 * Ways a Kubernetes application on Amazon EKS moves traffic from the color that serves (blue) to the
 * new one (green), chosen per environment (seed 004 §5.2):
 *
 * - `service-switch`: one stable Service whose selector moves from `version: blue` to
 *   `version: green` once the green Deployment is ready and has passed its tests through an internal
 *   test Service: all at once, and back the same way.
 * - `ingress-switch`: a Service per color; the Ingress (the AWS Load Balancer's listener rule)
 *   forwards to blue, then to green, through the profile's weighted steps (e.g. 5 % then 100 %), each
 *   followed by the bake time; back the same way.
 *
 * Either way the green side is tested before any user traffic reaches it, the alarms are watched
 * during each bake (an alarm switches back), and the old color is kept for the retention time, then
 * scaled to zero.
 */
export const KUBERNETES_DEPLOYMENTS = ['service-switch', 'ingress-switch'] as const;

/** A Kubernetes blue/green strategy. */
export type KubernetesStrategy = (typeof KUBERNETES_DEPLOYMENTS)[number];

/** The two colors a Kubernetes application alternates between. */
export const COLORS = ['blue', 'green'] as const;

/** A color: which Deployment serves, or is about to. */
export type Color = (typeof COLORS)[number];

/** The other color. */
export function otherColor(color: Color): Color {
  return color === 'blue' ? 'green' : 'blue';
}

/** The profile's Kubernetes deployment settings. */
export interface KubernetesDeploymentSettings {
  readonly strategy: KubernetesStrategy;
  /**
   * The percentages of user traffic the new color takes, in order, ending at 100 (`ingress-switch`;
   * `service-switch` moves all at once: `[100]`).
   */
  readonly steps: readonly number[];
  /** Minutes the alarms are watched after each step before the next (and after the last). */
  readonly bakeMinutes: number;
  /** Minutes the old color keeps running after the switch (for a fast switch back), then scaled to zero. */
  readonly oldColorRetentionMinutes: number;
}

/** What one Kubernetes strategy is, for the manifests, the switch, the CLI and the plan. */
export interface KubernetesStrategyTraits {
  /** Which object traffic moves in: the stable Service's selector, or the Ingress's backend weights. */
  readonly switches: 'service-selector' | 'ingress-weights';
  /** Whether weighted steps short of 100 % are possible. */
  readonly weighted: boolean;
  /** How the plan names it, with the environment's settings. */
  readonly words: (settings: KubernetesDeploymentSettings) => string;
}

/** Every strategy's traits, in one table. */
export const KUBERNETES_STRATEGIES: Readonly<Record<KubernetesStrategy, KubernetesStrategyTraits>> = {
  'service-switch': {
    switches: 'service-selector',
    weighted: false,
    words: (d) =>
      `blue/green by Service selector, all at once, bake ${d.bakeMinutes} min, old color kept ${d.oldColorRetentionMinutes} min`,
  },
  'ingress-switch': {
    switches: 'ingress-weights',
    weighted: true,
    words: (d) =>
      `blue/green by Ingress backend, ${d.steps.map((s) => `${s} %`).join(' → ')}, bake ${d.bakeMinutes} min each, old color kept ${d.oldColorRetentionMinutes} min`,
  },
};
