import { canaryAnalysisProfileSchema, checkCanaryAnalysis } from './canary-analysis-schema';
import { z } from 'zod';
import { KUBERNETES_DEPLOYMENTS, KUBERNETES_STRATEGIES, kubernetesSplit } from '@ias/targets';

/** The Kubernetes versions the platform's manifests are generated and validated for. */
export const KUBERNETES_VERSIONS = ['1.33'] as const;

/**
 * Where the pods run. `auto`: EKS Auto Mode's own node pools (AWS picks, patches and replaces the
 * instances). `nodes`: an EKS managed node group of the profile's instance type and size. Either way
 * the cluster runs in EKS Auto Mode for the AWS Load Balancer Controller and the Pod Identity agent,
 * which AWS operates. Fargate is not offered: the Secrets Store CSI driver that mounts the database
 * login is a DaemonSet, which Fargate does not run.
 */
const capacitySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto') }).strict(),
  z
    .object({
      type: z.literal('nodes'),
      /** An instance type of the managed node group (e.g. `t4g.medium`). */
      instanceType: z
        .string()
        .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as t4g.medium'),
      minSize: z.number().int().min(1).max(100),
      maxSize: z.number().int().min(1).max(100),
      desiredSize: z.number().int().min(1).max(100),
    })
    .strict()
    .refine((n) => n.minSize <= n.desiredSize && n.desiredSize <= n.maxSize, {
      message: 'must satisfy minSize ≤ desiredSize ≤ maxSize',
      path: ['desiredSize'],
    }),
]);

const percentStep = z.number().int().min(1).max(100);

/** How a Kubernetes application switches from the color that serves to the new one (seed 004 §5.2). */
const deploymentSchema = z
  .object({
    strategy: z.enum(KUBERNETES_DEPLOYMENTS),
    /**
     * The share of user traffic the new color takes at each step, increasing, ending at 100
     * (`ingress-switch` only; `service-switch` moves everything at once: leave it `[100]`).
     */
    steps: z.array(percentStep).min(1).max(10).default([100]),
    /** Minutes the alarms are watched after each step (an alarm switches back). */
    bakeMinutes: z.number().int().min(0).max(120),
    /** Minutes the old color keeps running after the switch (a fast switch back), then scaled to zero. */
    oldColorRetentionMinutes: z.number().int().min(0).max(1440),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.steps.at(-1) !== 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message: 'must end at 100 (every user on the new color)',
      });
    }
    if (d.steps.some((s, i) => i > 0 && s <= (d.steps[i - 1] as number))) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'must increase, e.g. [5, 100]' });
    }
    if (!KUBERNETES_STRATEGIES[d.strategy].weighted && d.steps.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message: `${d.strategy} moves every user at once: use [100], or ingress-switch for weighted steps`,
      });
    }
  });

/**
 * The environment's EKS cluster and its Kubernetes applications (seed 004 §4–6): on by default in
 * every environment; `enabled: false` holds neither the cluster nor the applications.
 */
export const kubernetesProfileSchema = z
  .object({
    enabled: z.boolean(),
    /** The cluster's Kubernetes version, which the manifests are validated against. */
    version: z.enum(KUBERNETES_VERSIONS),
    capacity: capacitySchema,
    /** Pods of the serving color: the HorizontalPodAutoscaler's range and CPU target. */
    replicas: z
      .object({
        min: z.number().int().min(1).max(50),
        max: z.number().int().min(1).max(100),
        cpuTargetPercent: z.number().int().min(10).max(100),
      })
      .strict()
      .refine((r) => r.min <= r.max, { message: 'min must not exceed max', path: ['max'] }),
    deployment: deploymentSchema,
    /** The application's alarms, watched during each bake (any one switches back) and notified. */
    alarms: z
      .object({
        /** Container restarts of the application's pods in 5 minutes. */
        restartsPer5Minutes: z.number().int().min(1),
        /** Errors the application logs in 5 minutes (the `level: error` lines of its pods). */
        loggedErrorsPer5Minutes: z.number().int().min(1),
      })
      .strict(),
    /** Whether the canary judge decides this kind's deployments here, and how (README "Canary analysis"). */
    canaryAnalysis: canaryAnalysisProfileSchema.optional(),
  })
  .strict()
  .superRefine((k, ctx) => checkCanaryAnalysis(k.canaryAnalysis, kubernetesSplit(k.deployment), ctx));

/** The validated Kubernetes section of a profile. */
export type KubernetesProfile = z.output<typeof kubernetesProfileSchema>;
