import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { compareAssemblies, readTemplates } from '../../lib/plan/compare';

const copies: string[] = [];
function copyOfAssembly(): string {
  const dir = mkdtempSync(join(tmpdir(), 'compare-'));
  copies.push(dir);
  cpSync(inject('assemblyDir'), dir, { recursive: true });
  return dir;
}
afterEach(() => copies.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Rewrites one stack's template file of a copied assembly. */
function edit(dir: string, stackFile: RegExp, change: (text: string) => string): void {
  for (const stage of readdirSync(dir).filter((d) => d.startsWith('assembly-'))) {
    for (const file of readdirSync(join(dir, stage)).filter((f) => stackFile.test(f))) {
      const path = join(dir, stage, file);
      const text = readFileSync(path, 'utf8');
      const changed = change(text);
      expect(changed, `the edit of ${file} changed nothing`).not.toBe(text);
      writeFileSync(path, changed);
      return;
    }
  }
  throw new Error(`no template matches ${stackFile}`);
}

describe('assembly:compare', () => {
  it('reads every stack of every stage', () => {
    expect(readTemplates(inject('assemblyDir')).size).toBeGreaterThan(30);
  });

  it('finds nothing between an assembly and its copy, nor when only an asset hash moved', () => {
    const after = copyOfAssembly();
    edit(after, /deployment.*\.template\.json$/, (t) => t.replace(/[0-9a-f]{64}/, 'f'.repeat(64)));
    edit(after, /infrapipeline.*\.template\.json$/, (t) =>
      t.replace(
        /[0-9a-f]{64}:current_account-([a-z0-9-]+)-[0-9a-f]{8}/,
        `${'e'.repeat(64)}:current_account-$1-0badf00d`,
      ),
    );
    expect(compareAssemblies(inject('assemblyDir'), after)).toEqual([]);
  });

  it('names the stack and the path of a changed property', () => {
    const after = copyOfAssembly();
    edit(after, /network.*\.template\.json$/, (t) => t.replace('"10.10.0.0/16"', '"10.11.0.0/16"'));
    const lines = compareAssemblies(inject('assemblyDir'), after);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^\S+-dev-network\.Resources\.\S+: "10\.10\.0\.0\/16" → "10\.11\.0\.0\/16"$/);
  });

  it('fails on a folder that holds no assembly, saying to synthesize one', () => {
    expect(() => compareAssemblies(tmpdir(), inject('assemblyDir'))).toThrow(
      /no cloud assembly in .*: synthesize one first/,
    );
  });
});
