import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA_DIR } from '../lib/config/project';

const tsx = join(INFRA_DIR, '..', 'node_modules', '.bin', 'tsx');
const run = (script: string, ...args: string[]) =>
  spawnSync(tsx, [join(INFRA_DIR, 'scripts', script), ...args], { cwd: INFRA_DIR, encoding: 'utf8' });

describe('the scripts on bad input', () => {
  it('synth-into.ts without a folder exits 2 with its usage, writing nothing', () => {
    const result = run('synth-into.ts');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('usage: synth-into.ts <dir>\n');
    expect(result.stdout).toBe('');
  });

  it('guard-equivalence.ts on a folder without a cloud assembly exits 2 saying to synthesize', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-assembly-'));
    const result = run('guard-equivalence.ts', empty);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `guard-equivalence: no cloud assembly at ${empty}: run npm run synth first, or name an assembly's folder\n`,
    );
    expect(result.stdout).toBe('');
    expect(existsSync(join(empty, 'manifest.json'))).toBe(false);
  });
});
