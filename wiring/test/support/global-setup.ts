import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cdkContext, loadProject } from '@ias/infra/config';
import { synthesize } from '@ias/infra/synth';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The whole app (README prefix, real profiles), synthesized once as `npm run synth` does. */
    assemblyDir: string;
  }
}

/** Synthesizes the real app once for every test file. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'wiring-assembly-'));
  synthesize(loadProject({}), { outdir: dir, context: cdkContext() });
  project.provide('assemblyDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
