import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { cdkContext, loadProject } from '../../lib/config/project';
import { synthesize } from '../../lib/synth';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A cloud assembly of the whole app, synthesized once with every policy gate. */
    assemblyDir: string;
  }
}

/** Synthesizes the real app (README prefix, real profiles, gates on) once for all test files. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'infra-assembly-'));
  synthesize(loadProject({}), { outdir: dir, context: cdkContext() });
  project.provide('assemblyDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
