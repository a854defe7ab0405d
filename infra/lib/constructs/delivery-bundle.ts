import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/** Options of {@link deliveryBundle}. */
export interface DeliveryBundleOptions {
  /**
   * Bundle the AWS SDK too, for a runtime that has none (a CodeBuild project's Node.js).
   * @default false - Lambda's runtime provides it
   */
  readonly withAwsSdk?: boolean;
}

/** Bundles already built in this process, by entry file (and whether the SDK is in). */
const built = new Map<string, string>();
let root: string | undefined;

/**
 * The folder holding `index.js` (and its source map) bundled from a delivery handler's `entry`: one
 * esbuild build per entry per process, shared by every function that runs that handler.
 *
 * Why not NodejsFunction: it bundles once per function, and the delivery stage and the environment
 * stages hold about ten functions running two or three handlers; building each handler once took
 * seconds off every synth (`npm run bench`). The options are NodejsFunction's for the same
 * settings: minified CommonJS for Node 20+, source map, the AWS SDK v3 left to the runtime.
 */
export function deliveryBundle(entry: string, options: DeliveryBundleOptions = {}): string {
  const key = `${entry}${options.withAwsSdk ? ' +sdk' : ''}`;
  const existing = built.get(key);
  if (existing) return existing;
  if (!root) {
    root = mkdtempSync(join(tmpdir(), 'ias-delivery-bundles-'));
    const made = root;
    // CDK copies the folder into the cloud assembly as an asset; the original is scratch.
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  const outdir = join(root, String(built.size));
  buildSync({
    entryPoints: [entry],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    // pg's optional native binding, which pg requires only inside a try (it falls back to JavaScript).
    external: [...(options.withAwsSdk ? [] : ['@aws-sdk/*']), 'pg-native'],
    logLevel: 'error',
  });
  built.set(key, outdir);
  return outdir;
}
