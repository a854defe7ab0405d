/**
 * Stores an artifact's SBOM beside it: in the environment's artifact bucket, under
 * `sbomKey(workload, build)` of @ias/targets (`sbom/<workload>/<build>.cdx.json`), the object the
 * release ledger then references and `ias-ops releases --contains` reads. The pipelines' gate step
 * and `ias-ops deploy` (the GitHub workflows) both store through here.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sbomKey } from '@ias/targets';
import { DeliveryError, describeError } from '../errors.js';
import type { SbomLocation } from '../ledger.js';
import { readSbom, sbomComponents } from './sbom.js';

/** The media type CycloneDX registers for its JSON format. */
export const SBOM_CONTENT_TYPE = 'application/vnd.cyclonedx+json';

/** Where the builds put a workload's SBOM in the artifacts they hand on. */
export const SBOM_FILE = 'supply-chain/sbom.cdx.json';

/** What {@link storeSbom} stores. */
export interface StoreSbomOptions {
  /** The environment's artifact bucket (`environmentArtifactBucketName` of @ias/targets). */
  readonly bucket: string;
  /** The workload the SBOM describes (its name in the manifests: `allocate-order`). */
  readonly workload: string;
  /** What names the build: the commit it was built from. */
  readonly build: string;
  /** The SBOM's JSON text, as the CycloneDX tool wrote it. */
  readonly json: string;
  /** How messages name where the JSON came from (`input artifact SupplyChain supply-chain/sbom.cdx.json`). */
  readonly source: string;
}

/** What {@link storeSbom} stored. */
export interface StoredSbom {
  readonly location: SbomLocation;
  /** How many components the SBOM lists, nested ones included. */
  readonly componentCount: number;
}

/**
 * Checks that `json` is a CycloneDX SBOM, then writes it to `s3://<bucket>/<sbomKey(workload, build)>`
 * (the bucket's default encryption, the environment key, applies). The same build stores the same
 * key: storing again (a retried stage) overwrites it with the same bytes.
 *
 * @throws DeliveryError (`BAD_INPUT`) when the JSON is not a CycloneDX SBOM or the workload or build
 * cannot name a key; the S3 client's error, with the object named, when the write fails
 */
export async function storeSbom(s3: S3Client, options: StoreSbomOptions): Promise<StoredSbom> {
  let sbom;
  try {
    sbom = readSbom(options.json);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${options.source}: ${describeError(error)}`, { cause: error });
  }
  let key: string;
  try {
    key = sbomKey(options.workload, options.build);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', describeError(error), { cause: error });
  }
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: options.bucket,
        Key: key,
        Body: options.json,
        ContentType: SBOM_CONTENT_TYPE,
      }),
    );
  } catch (error) {
    throw new Error(`storing the SBOM at s3://${options.bucket}/${key} failed: ${describeError(error)}`, {
      cause: error,
    });
  }
  return { location: { bucket: options.bucket, key }, componentCount: sbomComponents(sbom).length };
}
