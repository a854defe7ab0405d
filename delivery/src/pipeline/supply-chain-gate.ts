/**
 * The `supply-chain-gate` step, which every kind's pipeline runs first in each environment's deploy
 * stage: it decides on the bundle's npm audit and, for a container service, the ECR scan of the image
 * the build pushed, with the exceptions of the built revision, and stops the deployment on any finding
 * at or above the environment's `failOn`.
 *
 * Its input artifact carries what the build wrote: `supply-chain/audit.json` (`npm audit --json`),
 * `supply-chain/exceptions.json` (the revision's exceptions, copied so that the artifact is judged by
 * the exceptions it was built with), `supply-chain/sbom.cdx.json` (the CycloneDX SBOM built with the
 * artifact) and, for a service, `imageDetail.json` (the image by digest).
 *
 * What passes has its SBOM stored in the environment's artifact bucket (`sbomKey` of @ias/targets),
 * and the step's output variables `SbomBucket` and `SbomKey` say where: the stage's deploy step
 * records that location in the release ledger.
 */
import { z } from 'zod';
import { DeliveryError } from '../errors.js';
import { decide, type GateDecision } from '../supply-chain/decide.js';
import { EXCEPTIONS_FILE, parseExceptions } from '../supply-chain/exceptions.js';
import { failOnSchema } from '../supply-chain/findings.js';
import { gateImage, type ImageGateResult } from '../supply-chain/image-gate.js';
import { parseNpmAudit } from '../supply-chain/npm-audit.js';
import { SBOM_FILE, storeSbom, type StoredSbom } from '../sbom/store.js';
import { imageDetailSchema } from '../kinds/service/appspec.js';
import { parseImageUri } from '../kinds/service/image-uri.js';
import { readJson } from './read-json.js';
import type { StepContext, StepOutcome } from './step.js';
import {
  inProgress,
  missingClients,
  pipelineStep,
  readContinuation,
  readInputFiles,
  stepParameters,
} from './step.js';

/** Where the build writes the bundle's `npm audit --json`, in the artifact the gate reads. */
export const AUDIT_FILE = 'supply-chain/audit.json';

/**
 * The longest failure message the gate hands CodePipeline (whose limit is 5000 characters; the report
 * cuts at 4000): longer decisions keep their first lines and say how many were left out.
 */
export const MAX_GATE_MESSAGE = 3_900;

const supplyChainGateParameters = z.object({
  step: z.literal('supply-chain-gate'),
  ...stepParameters,
  /** The least severe finding that stops the deployment: the environment's profile's. */
  failOn: failOnSchema,
  /**
   * The environment's ECR repository of a container service: the gate also decides on the scan of
   * the image of `imageDetail.json`. Absent (a function): only the audit.
   */
  repository: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._/-]{1,255}$/, 'must be an ECR repository name')
    .optional(),
  /** How long to wait for the image's scan over all invocations, in minutes. */
  scanTimeoutMinutes: z.number().int().min(1).max(60).default(10),
  /**
   * Where what passes has its SBOM stored: the environment's artifact bucket, the workload and the
   * commit that name the key. Absent: the gate decides and stores nothing.
   */
  sbom: z
    .object({
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
      workload: z.string().min(1).max(140),
      commit: z.string().min(1).max(64),
    })
    .optional(),
});

type SupplyChainGateParameters = z.output<typeof supplyChainGateParameters>;

// The gate's continuation token: when it first looked, so the scan's wait spans invocations.
const gateContinuationSchema = z.object({ startedAt: z.number().int().nonnegative() });

/**
 * Decides on the audit and, for a service, on the image's scan; waits for a scan still running for
 * this invocation's budget and hands CodePipeline a continuation token until `scanTimeoutMinutes`.
 * Fails the action with the decision's lines when anything blocks (or the scan gives no findings).
 */
async function supplyChainGate(
  context: StepContext,
  parameters: SupplyChainGateParameters,
): Promise<StepOutcome> {
  const token = readContinuation(context, gateContinuationSchema);
  const startedAt = token?.startedAt ?? context.now();
  const timeoutMs = parameters.scanTimeoutMinutes * 60_000;
  const { files, source } = await readInputFiles(
    context,
    `the supply-chain-gate step needs one input artifact (the build output, with ${AUDIT_FILE})`,
  );
  const today = new Date(context.now()).toISOString().slice(0, 10);
  const exceptions = parseExceptions(
    readJson(files[EXCEPTIONS_FILE], z.unknown(), {
      name: EXCEPTIONS_FILE,
      source,
      missing: `${source} has no ${EXCEPTIONS_FILE}: does its build copy the revision's exceptions?`,
    }),
    `${source} ${EXCEPTIONS_FILE}`,
  );
  const audit = decide({
    findings: parseNpmAudit(
      readJson(files[AUDIT_FILE], z.unknown(), {
        name: AUDIT_FILE,
        source,
        missing: `${source} has no ${AUDIT_FILE}: does its build run npm audit?`,
      }),
      `${source} ${AUDIT_FILE}`,
    ),
    failOn: parameters.failOn,
    exceptions,
    today,
  });

  let image: ImageGateResult | undefined;
  if (parameters.repository) {
    const remainingMs = startedAt + timeoutMs - context.now();
    // A blocked audit already stops the deployment: one look at the scan, for the record.
    const budgetMs = audit.pass ? Math.max(0, Math.min(context.pollBudgetMs, remainingMs)) : 0;
    image = await gateImageOf(context, parameters.repository, files, source, {
      failOn: parameters.failOn,
      exceptions,
      today,
      deadlineSeconds: Math.floor(budgetMs / 1000),
    });
    if (image.outcome === 'TIMED_OUT' && audit.pass && context.now() < startedAt + timeoutMs) {
      return inProgress(
        `${parameters.environment}: waiting for the ECR scan of ${parameters.repository}`,
        { startedAt },
        context.now() - startedAt,
        timeoutMs,
      );
    }
  }

  const pass = audit.pass && (image?.pass ?? true);
  const lines = gateLines(parameters, source, audit, image, pass);
  if (!pass) {
    return { result: 'failed', message: fitMessage(lines, source) };
  }
  const stored = parameters.sbom ? await storeGatedSbom(context, parameters.sbom, files, source) : undefined;
  if (stored) {
    lines.push(
      `SBOM (${stored.componentCount} components) stored at s3://${stored.location.bucket}/${stored.location.key}`,
    );
  }
  return {
    result: 'succeeded',
    summary: lines.join(' | '),
    outputVariables: {
      Decision: 'PASSED',
      FailOn: parameters.failOn,
      AuditFindings: String(Object.values(audit.counts).reduce((sum, n) => sum + n, 0)),
      ...(image?.scanStatus ? { ImageScan: image.scanStatus } : {}),
      ...(stored ? { SbomBucket: stored.location.bucket, SbomKey: stored.location.key } : {}),
    },
  };
}

/** Stores the artifact's SBOM ({@link SBOM_FILE}) where `sbom` says, once the gate passed. */
async function storeGatedSbom(
  context: StepContext,
  sbom: NonNullable<SupplyChainGateParameters['sbom']>,
  files: Readonly<Record<string, string>>,
  source: string,
): Promise<StoredSbom> {
  const { s3 } = context.clients;
  if (!s3) {
    throw missingClients('supply-chain-gate', ['S3']);
  }
  const json = files[SBOM_FILE];
  if (json === undefined) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${source} has no ${SBOM_FILE}: does its build write the SBOM (delivery/src/sbom/cli.ts)?`,
    );
  }
  return storeSbom(s3, {
    bucket: sbom.bucket,
    workload: sbom.workload,
    build: sbom.commit,
    json,
    source: `${source} ${SBOM_FILE}`,
  });
}

/** The image gate on the image of `imageDetail.json`, which must be in `repository` and pinned by digest. */
async function gateImageOf(
  context: StepContext,
  repository: string,
  files: Readonly<Record<string, string>>,
  source: string,
  options: Pick<Parameters<typeof gateImage>[0], 'failOn' | 'exceptions' | 'today' | 'deadlineSeconds'>,
): Promise<ImageGateResult> {
  const { ecr } = context.clients;
  if (!ecr) {
    throw missingClients('supply-chain-gate', ['ECR']);
  }
  const uri = readJson(files['imageDetail.json'], imageDetailSchema, {
    name: 'imageDetail.json',
    source,
    missing: `${source} has no imageDetail.json: is it the container build's output for this environment?`,
  }).ImageURI;
  const image = parseImageUri(uri, `${source} imageDetail.json ImageURI`);
  if (!image.digest) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${source} imageDetail.json names ${uri} by tag only: the gate decides on a digest, which the build writes`,
    );
  }
  if (image.repository !== repository) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${source} imageDetail.json names ${uri}, not an image of ${repository}: is it this environment's artifact?`,
    );
  }
  return gateImage({
    ecr,
    repository,
    digest: image.digest,
    registryId: image.registry.slice(0, 12),
    ...options,
    intervalMs: context.pollMs,
    sleep: context.sleep,
    now: context.now,
  });
}

/** The decision first, then what it weighed: the audit's lines, then the image's. */
function gateLines(
  parameters: SupplyChainGateParameters,
  source: string,
  audit: GateDecision,
  image: ImageGateResult | undefined,
  pass: boolean,
): string[] {
  const weighed = image ? 'npm audit and image scan' : 'npm audit';
  return [
    `supply chain gate ${pass ? 'PASSED' : 'BLOCKED'} for ${parameters.environment} (${weighed}; stops on findings >= ${parameters.failOn})`,
    `npm audit of the bundle (${source} ${AUDIT_FILE}):`,
    ...audit.summary,
    ...(image ? image.summary : []),
  ];
}

/**
 * `lines` as one failure message of at most {@link MAX_GATE_MESSAGE} characters: whole lines while
 * they fit, then how many were left out and where the whole audit is.
 */
export function fitMessage(lines: readonly string[], source: string): string {
  const all = lines.join(' | ');
  if (all.length <= MAX_GATE_MESSAGE) {
    return all;
  }
  const kept: string[] = [];
  let length = 0;
  const noteRoom = 200;
  for (const line of lines) {
    const next = length + (kept.length > 0 ? 3 : 0) + line.length;
    if (next > MAX_GATE_MESSAGE - noteRoom) break;
    kept.push(line);
    length = next;
  }
  const left = lines.length - kept.length;
  return `${kept.join(' | ')} | … ${left} more line${left === 1 ? '' : 's'} cut (CodePipeline keeps 5000 characters): the whole audit is ${AUDIT_FILE} in ${source}`;
}

/** The steps every kind shares, in the step table. */
export const sharedSteps = [
  pipelineStep({ parameters: supplyChainGateParameters, run: supplyChainGate }),
] as const;
