import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FUNCTION_DIR = join(__dirname, '..');
const BUNDLE = join(FUNCTION_DIR, 'dist', 'index.js');

describe('the deployment bundle (npm run build)', () => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: FUNCTION_DIR, stdio: 'ignore' });
  const code = readFileSync(BUNDLE, 'utf8');

  it('is one CommonJS file exporting the handler', async () => {
    const mod = (await import(BUNDLE)) as { handler?: unknown; default?: { handler?: unknown } };
    expect(typeof (mod.handler ?? mod.default?.handler)).toBe('function');
  });

  it('leaves the AWS SDK v3 to the Lambda runtime and bundles everything else', () => {
    expect(code).toMatch(/require\("@aws-sdk\/client-[a-z-]+"\)/);
    expect(code).not.toContain('node_modules/@aws-sdk/');
    expect(code).toContain('node_modules/pg/');
    expect(statSync(BUNDLE).size).toBeLessThan(5 * 1024 * 1024);
  });
});
