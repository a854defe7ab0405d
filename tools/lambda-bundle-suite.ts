import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase } from '@ias/local';
import { describe, expect, inject, it } from 'vitest';

/** Invokes the bundle's handler once in a fresh Node process, as Lambda would, and returns its answer. */
async function invokeInFreshProcess(
  bundle: string,
  event: unknown,
  env: Record<string, string>,
): Promise<{ answer?: unknown; error?: string }> {
  const script = `require(${JSON.stringify(bundle)})
    .handler(${JSON.stringify(event)}, { functionVersion: '7', awsRequestId: 'smoke' })
    .then((answer) => { console.log(JSON.stringify({ answer })); process.exit(0); },
          (err) => { console.log(JSON.stringify({ error: String(err.message) })); process.exit(0); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    env: {
      PATH: process.env.PATH,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      AWS_REGION: 'ap-northeast-1',
      ...env,
    },
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { answer?: unknown; error?: string };
}

/**
 * The checks every Lambda function's deployment bundle passes (`npm run build` in `functionDir`):
 * one minified CommonJS file exporting `handler` with its source map, every dependency bundled.
 */
export function lambdaBundleSuite(functionDir: string): void {
  const bundle = join(functionDir, 'dist', 'index.js');

  describe('the deployment bundle (npm run build)', () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: functionDir, stdio: 'ignore' });
    const code = readFileSync(bundle, 'utf8');

    it('is one CommonJS file exporting the handler', async () => {
      // The settings are parsed at load: give it a database (nothing connects until an invocation).
      const saved = process.env.DATABASE_URL;
      // secretlint-disable-next-line @secretlint/secretlint-rule-database-connection-string -- made-up credentials for a loopback port nothing listens on
      process.env.DATABASE_URL = 'postgres://nobody:nothing@127.0.0.1:9/none';
      try {
        const mod = (await import(bundle)) as { handler?: unknown; default?: { handler?: unknown } };
        expect(typeof (mod.handler ?? mod.default?.handler)).toBe('function');
      } finally {
        if (saved === undefined) delete process.env.DATABASE_URL;
        else process.env.DATABASE_URL = saved;
      }
    });

    it('fails at load on missing settings, naming the variable to set', async () => {
      // As Lambda's init would: loading the module throws, before any invocation.
      const script = `try { require(${JSON.stringify(bundle)}); console.log('loaded'); } catch (err) { console.log(err.message); }`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
        env: { PATH: process.env.PATH, AWS_REGION: 'ap-northeast-1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      });
      expect(stdout).toMatch(/bad settings in the environment: PGHOST: no database configured/);
    });

    it('bundles its dependencies, the AWS SDK v3 included, and requires nothing outside Node', () => {
      // The runtime's SDK copy changes under the function; the bundled one is the one tested.
      // Left out on purpose, both optional and required inside try/catch by their users:
      // pg-native (pg falls back to JavaScript) and the CRT signer (only SigV4a, never used here).
      const optional = new Set(['pg-native', '@aws-sdk/signature-v4-crt']);
      const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] ?? '');
      const outside = required.filter(
        (name) => !name.startsWith('node:') && !builtinModules.includes(name) && !optional.has(name),
      );
      expect(outside).toEqual([]);
      const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
      expect(map.sources.some((s) => s.includes('node_modules/@aws-sdk/client-'))).toBe(true);
      expect(map.sources.some((s) => s.includes('node_modules/pg/'))).toBe(true);
      expect(statSync(bundle).size).toBeLessThan(3 * 1024 * 1024);
    });

    it("keeps zod's English messages and leaves its other locales out (tools/build-function.ts)", () => {
      expect(code).toContain('Invalid input: expected');
      // Dutch (nl.js), written in ASCII: the minified bundle escapes other locales' accented letters.
      expect(code).not.toContain('Ongeldige invoer');
    });

    // The deployment hooks invoke every new version with the manifest's smoke event; it must
    // answer `status: 'ok'` only when the database answers, and touch no data.
    const manifest = JSON.parse(readFileSync(join(functionDir, 'function.json'), 'utf8')) as {
      smokeEvent: string;
    };
    const smoke: unknown = JSON.parse(readFileSync(join(functionDir, manifest.smokeEvent), 'utf8'));

    it('answers the smoke event with status ok when its database answers', async () => {
      const url = await createTestDatabase(inject('postgresAdminUrl'), 'smoke');
      const result = await invokeInFreshProcess(bundle, smoke, { DATABASE_URL: url });
      expect(result).toEqual({ answer: { status: 'ok', function: expect.any(String), version: '7' } });
    });

    it('fails the smoke event when its database does not answer', async () => {
      const result = await invokeInFreshProcess(bundle, smoke, {
        // secretlint-disable-next-line @secretlint/secretlint-rule-database-connection-string -- made-up credentials for a loopback port nothing listens on
        DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:9/none?connect_timeout=2',
      });
      expect(result.error).toMatch(/ECONNREFUSED|connect/);
    });
  });
}
