import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DeliveryError } from '../../errors.js';

// <number><suffix>, Kubernetes' quantity grammar without a sign (no resource is negative): a decimal number,
// then a binary (Ki…Ei) or decimal (n, u, m, k, M…E) suffix or a decimal exponent (e3, E-2).
const NUMBER = /^(\d+\.?\d*|\.\d+)$/;
const EXPONENT = /^[eE][+-]?\d+$/;

const SUFFIX_FACTORS: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/**
 * The value of a Kubernetes resource quantity (`250m` → 0.25, `1Gi` → 1073741824, `1e3` → 1000), or
 * undefined when `text` is not one. Precise enough to compare a request with its limit.
 *
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
export function parseQuantity(text: string): number | undefined {
  const split = text.search(/[^0-9.]/);
  const number = split < 0 ? text : text.slice(0, split);
  const suffix = split < 0 ? '' : text.slice(split);
  const factor = EXPONENT.test(suffix)
    ? 10 ** Number(suffix.slice(1))
    : Object.hasOwn(SUFFIX_FACTORS, suffix)
      ? SUFFIX_FACTORS[suffix]
      : undefined;
  return NUMBER.test(number) && factor !== undefined ? Number(number) * factor : undefined;
}

function quantity(example: string) {
  return z.string().refine((text) => (parseQuantity(text) ?? 0) > 0, {
    message: `must be a positive Kubernetes quantity such as ${example}`,
  });
}

const cpu = quantity('250m or 1');
const memory = quantity('256Mi or 1Gi');

const httpPath = z
  .string()
  .regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be an HTTP path starting with /, such as /ready');

/**
 * `app/services/<name>/kubernetes.json`: what running the service's image on the environment's EKS
 * cluster needs beyond `service.json` (which gives the container port and the plain settings).
 */
export const kubernetesManifestSchema = z
  .object({
    /** One line on what the application is. */
    description: z.string().min(1).max(256),
    /** The container's requests (what the scheduler reserves, and the CPU the autoscaler's target is a share of) and limits. */
    resources: z
      .object({
        requests: z.object({ cpu, memory }).strict(),
        /**
         * The memory limit is required (a leak is stopped in its pod, not on the node); a CPU limit is
         * optional (without one, the container may use idle CPU of its node).
         */
        limits: z.object({ cpu: cpu.optional(), memory }).strict(),
      })
      .strict()
      .superRefine((resources, ctx) => {
        for (const name of ['cpu', 'memory'] as const) {
          const request = parseQuantity(resources.requests[name]);
          const limitText = resources.limits[name];
          const limit = limitText === undefined ? undefined : parseQuantity(limitText);
          if (request !== undefined && limit !== undefined && limit < request) {
            ctx.addIssue({
              code: 'custom',
              path: ['limits', name],
              message: `must be at least the request (${resources.requests[name]})`,
            });
          }
        }
      }),
    /** The path the kubelet checks to restart a stuck container: 2xx while the process works. */
    livenessPath: httpPath,
    /**
     * The path the kubelet and the load balancer check before sending requests: 2xx only when the
     * application can serve (its database reachable).
     */
    readinessPath: httpPath,
  })
  .strict();

/** A validated `kubernetes.json`. */
export type KubernetesManifest = z.output<typeof kubernetesManifestSchema>;

/** What is wrong with `raw` as a `kubernetes.json`, one line each: `<where>: <field>: <message>`. */
export function kubernetesManifestProblems(raw: unknown, where: string): string[] {
  const result = kubernetesManifestSchema.safeParse(raw);
  return result.success
    ? []
    : result.error.issues.map(
        (issue) => `${where}: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
      );
}

/**
 * `raw` as a validated `kubernetes.json`.
 *
 * @throws DeliveryError `BAD_INPUT` naming `where` and each bad field
 */
export function parseKubernetesManifest(raw: unknown, where: string): KubernetesManifest {
  const problems = kubernetesManifestProblems(raw, where);
  if (problems.length > 0) {
    throw new DeliveryError('BAD_INPUT', problems.join('; '));
  }
  return kubernetesManifestSchema.parse(raw);
}

/**
 * Reads and validates a `kubernetes.json`.
 *
 * @param file - the file to read
 * @param where - how messages name it (e.g. its path relative to the repository)
 * @throws DeliveryError `BAD_INPUT` when it cannot be read, is not JSON or breaks the schema, naming the file and field
 */
export function loadKubernetesManifest(file: string, where = file): KubernetesManifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${where}: cannot be read (${(error as Error).message})`, {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${where}: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  return parseKubernetesManifest(raw, where);
}
