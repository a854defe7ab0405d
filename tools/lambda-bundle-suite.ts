import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The checks every Lambda function's deployment bundle passes (`npm run build` in `functionDir`):
 * one CommonJS file exporting `handler`, the AWS SDK v3 left to the runtime, the rest bundled.
 */
export function lambdaBundleSuite(functionDir: string): void {
  const bundle = join(functionDir, 'dist', 'index.js');

  describe('the deployment bundle (npm run build)', () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: functionDir, stdio: 'ignore' });
    const code = readFileSync(bundle, 'utf8');

    it('is one CommonJS file exporting the handler', async () => {
      const mod = (await import(bundle)) as { handler?: unknown; default?: { handler?: unknown } };
      expect(typeof (mod.handler ?? mod.default?.handler)).toBe('function');
    });

    it('leaves the AWS SDK v3 to the Lambda runtime and bundles everything else', () => {
      expect(code).toMatch(/require\("@aws-sdk\/client-[a-z-]+"\)/);
      expect(code).not.toContain('node_modules/@aws-sdk/');
      expect(code).toContain('node_modules/pg/');
      expect(statSync(bundle).size).toBeLessThan(5 * 1024 * 1024);
    });
  });
}
