import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { DeliveryError } from '../errors.js';

/** Where CodePipeline keeps an artifact: an object in its artifact bucket. */
export interface ArtifactLocation {
  /** The artifact bucket. */
  readonly bucketName: string;
  /** The artifact's key. */
  readonly objectKey: string;
}

/** The key CodePipeline encrypts its artifacts with. */
export interface ArtifactEncryptionKey {
  /** The KMS key's id, ARN or alias. */
  readonly id: string;
  /** The key's type (`KMS`). */
  readonly type: string;
}

/** Downloads an artifact's bytes. */
export async function readArtifact(s3: S3Client, location: ArtifactLocation): Promise<Uint8Array> {
  const found = await s3.send(new GetObjectCommand({ Bucket: location.bucketName, Key: location.objectKey }));
  if (!found.Body) {
    throw new DeliveryError(
      'BAD_INPUT',
      `artifact s3://${location.bucketName}/${location.objectKey} is empty`,
    );
  }
  return found.Body.transformToByteArray();
}

/** Uploads an artifact's bytes, encrypted with the pipeline's KMS key when it has one. */
export async function writeArtifact(
  s3: S3Client,
  location: ArtifactLocation,
  body: Uint8Array,
  encryptionKey?: ArtifactEncryptionKey,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: location.bucketName,
      Key: location.objectKey,
      Body: body,
      ...(encryptionKey ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: encryptionKey.id } : {}),
    }),
  );
}

/** Whether `bytes` start like a zip file (`PK\x03\x04`, or `PK\x05\x06` for an empty one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05);
}

/** Zips text files (name → content). */
export function zipTextFiles(files: Readonly<Record<string, string>>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)])));
}

/** Unzips text files (name → content); throws `BAD_INPUT` naming `what` when the bytes are not a zip. */
export function unzipTextFiles(bytes: Uint8Array, what: string): Record<string, string> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${what} is not a zip file (${(error as Error).message})`, {
      cause: error,
    });
  }
  return Object.fromEntries(Object.entries(files).map(([name, data]) => [name, strFromU8(data)]));
}
