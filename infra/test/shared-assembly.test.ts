import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHARED_ASSEMBLY_ENV, synthesizeToTempDir } from '../lib/synth';

const scratch = mkdtempSync(join(tmpdir(), 'shared-assembly-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `body` with SHARED_ASSEMBLY_ENV set to `value`, then puts the variable back as it was. */
function withShared<T>(value: string, body: () => T): T {
  const before = process.env[SHARED_ASSEMBLY_ENV];
  process.env[SHARED_ASSEMBLY_ENV] = value;
  try {
    return body();
  } finally {
    if (before === undefined) {
      Reflect.deleteProperty(process.env, SHARED_ASSEMBLY_ENV);
    } else {
      process.env[SHARED_ASSEMBLY_ENV] = before;
    }
  }
}

describe('synthesizeToTempDir with a shared assembly (the root npm test)', () => {
  it('hands out the shared assembly and leaves it in place', () => {
    writeFileSync(join(scratch, 'manifest.json'), '{}');
    const shared = withShared(scratch, () => synthesizeToTempDir('test'));
    expect(shared.dir).toBe(scratch);
    shared.remove();
    expect(withShared(scratch, () => synthesizeToTempDir('test')).dir).toBe(scratch);
  });

  it('refuses a folder that holds no assembly, naming the variable', () => {
    const empty = mkdtempSync(join(scratch, 'empty-'));
    expect(() => withShared(empty, () => synthesizeToTempDir('test'))).toThrow(
      `${SHARED_ASSEMBLY_ENV}=${empty} holds no cloud assembly`,
    );
  });
});
