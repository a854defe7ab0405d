import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** Largest stock file accepted: 10 MiB (about 300,000 rows). */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Reads the objects that S3 events point at. */
export interface ObjectSource {
  /** The object's text; throws when it is missing or larger than {@link MAX_FILE_BYTES}. */
  read(bucket: string, key: string): Promise<string>;
}

/** Reads from S3. */
export class S3ObjectSource implements ObjectSource {
  constructor(private readonly client: S3Client) {}

  async read(bucket: string, key: string): Promise<string> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((object.ContentLength ?? 0) > MAX_FILE_BYTES) {
      throw new FileTooLargeError(bucket, key, object.ContentLength ?? 0);
    }
    return (await object.Body?.transformToString('utf-8')) ?? '';
  }
}

/**
 * Reads `<dir>/<bucket>/<key>` from disk: the stand-in for S3 when the function runs locally
 * (`npm run invoke` sets `LOCAL_S3_DIR`).
 */
export class LocalObjectSource implements ObjectSource {
  constructor(private readonly dir: string) {}

  async read(bucket: string, key: string): Promise<string> {
    const root = resolve(this.dir);
    const path = resolve(join(root, bucket, key));
    if (!path.startsWith(`${root}/`)) {
      throw new Error(`object key ${key} points outside ${root}`);
    }
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- resolved under this source's folder and refused above if it leads outside
    const text = await readFile(path, 'utf8');
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
      throw new FileTooLargeError(bucket, key, Buffer.byteLength(text));
    }
    return text;
  }
}

/** The file is larger than the function accepts. */
export class FileTooLargeError extends Error {
  constructor(bucket: string, key: string, bytes: number) {
    super(
      `s3://${bucket}/${key} has ${bytes} bytes; stock files may have at most ${MAX_FILE_BYTES}: split it`,
    );
    this.name = 'FileTooLargeError';
  }
}

/** S3, or the local folder named by the setting `LOCAL_S3_DIR`. */
export function objectSourceFor(
  settings: { readonly LOCAL_S3_DIR?: string },
  client?: S3Client,
): ObjectSource {
  return settings.LOCAL_S3_DIR
    ? new LocalObjectSource(settings.LOCAL_S3_DIR)
    : new S3ObjectSource(client ?? new S3Client({}));
}
