import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT, type ProjectConfig } from '@ias/infra/config';
import { describe, expect, it } from 'vitest';
import { loadContracts } from '../src/check/contracts';
import { project } from './support/mutate';

describe('contracts', () => {
  it("read each function's and service's settings schema from its folder", async () => {
    const contracts = await loadContracts(project);
    for (const fn of project.functions) {
      expect(contracts[`fn:${fn.name}`]?.deployed).toMatchObject({
        PGUSER: { rule: 'required' },
        EVENT_BUS_NAME: { rule: 'required' },
      });
    }
    expect(contracts['fn:import-stock']?.deployed?.LOCAL_S3_DIR).toMatchObject({ rule: 'forbidden' });
  });

  it('fail on a folder without src/settings.ts, saying what to export', async () => {
    const broken = {
      ...project,
      functions: [{ ...project.functions[0], name: 'x', folder: 'app/functions/does-not-exist' }],
    };
    await expect(loadContracts(broken as unknown as ProjectConfig)).rejects.toThrow(
      'app/functions/does-not-exist: no src/settings.ts: export the schema its code parses its environment with',
    );
  });

  it('fail on a settings module without exactly one …Settings schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contracts-'));
    try {
      mkdirSync(join(dir, 'src'));
      writeFileSync(
        join(dir, 'src', 'settings.ts'),
        "import { z } from 'zod';\nexport const aSettings = z.object({});\nexport const bSettings = z.object({});\n",
      );
      const folder = relative(REPO_ROOT, dir);
      const broken = { ...project, functions: [{ ...project.functions[0], name: 'x', folder }] };
      await expect(loadContracts(broken as unknown as ProjectConfig)).rejects.toThrow(
        `${folder}/src/settings.ts: export exactly one zod object named …Settings (found 2)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
