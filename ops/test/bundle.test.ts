import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const OPS = join(__dirname, '..');
const REPO = join(OPS, '..');
const BIN = join(OPS, 'bin', 'ias-ops.js');

interface Bundle {
  readonly OUTFILE: string;
  readonly INPUTS_FILE: string;
  isFresh(): boolean;
  build(): Promise<{ outfile: string; inputs: string[] }>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is plain CommonJS, as the launcher loads it
const bundle = require('../scripts/bundle.cjs') as Bundle;

function recorded(): { builtAt: number; inputs: string[] } {
  return JSON.parse(readFileSync(bundle.INPUTS_FILE, 'utf8')) as { builtAt: number; inputs: string[] };
}

describe('the built ias-ops', () => {
  beforeAll(async () => {
    await bundle.build();
  });

  it('bundles the workspace packages it reads and leaves aws-cdk-lib, esbuild and tsx out', () => {
    const { inputs } = recorded();
    expect(inputs).toContain('ops/src/main.ts');
    expect(inputs).toContain('infra/lib/config/environments.ts');
    expect(inputs.some((i) => i.startsWith('targets/src/'))).toBe(true);
    expect(inputs.some((i) => i.startsWith('delivery/src/'))).toBe(true);
    expect(inputs.filter((i) => i.includes('node_modules'))).toEqual([]);
    const required = [...readFileSync(bundle.OUTFILE, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map(
      (m) => m[1],
    );
    expect(required).not.toContain('aws-cdk-lib');
    expect(required).not.toContain('esbuild');
    // tsx only for `plan`, whose synth runs infra's TypeScript source.
    expect(required.filter((r) => r?.startsWith('tsx'))).toEqual(['tsx/cjs/api']);
  });

  it('loads commander alone for --help', () => {
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        `const cli = require(${JSON.stringify(bundle.OUTFILE)});
         process.stdout.write = () => true;
         cli.main(['--help']).then((code) => {
           const loaded = Object.keys(require.cache).filter((k) => k.includes('node_modules'));
           process.stderr.write(JSON.stringify({ code, packages: [...new Set(loaded.map((k) => k.split('node_modules/').pop().split('/')[0]))] }));
         });`,
      ],
      { encoding: 'utf8', cwd: REPO },
    );
    expect(JSON.parse(run.stderr)).toEqual({ code: 0, packages: ['commander'] });
  });

  it('is rebuilt before it runs when a file it was built from is newer', () => {
    const input = join(REPO, 'infra/lib/config/environments.ts');
    const before = statSync(input);
    const builtAt = recorded().builtAt;
    expect(bundle.isFresh()).toBe(true);
    try {
      // An edit after the build: the bundle is stale, and the launcher rebuilds it before running.
      utimesSync(input, before.atime, new Date(builtAt + 1));
      expect(bundle.isFresh()).toBe(false);
      const run = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Usage: ias-ops [options] [command]');
      expect(recorded().builtAt).toBeGreaterThan(builtAt);
      expect(bundle.isFresh()).toBe(true);
    } finally {
      utimesSync(input, before.atime, before.mtime);
    }
  });
});
