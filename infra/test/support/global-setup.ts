import type { TestProject } from 'vitest/node';
import { synthesizeToTempDir } from '../../lib/synth';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A cloud assembly of the whole app, synthesized once with every policy gate. */
    assemblyDir: string;
  }
}

/** Synthesizes the real app (README prefix, real profiles, gates on) once for all test files. */
export default function setup(project: TestProject): () => void {
  const { dir, remove } = synthesizeToTempDir('infra');
  project.provide('assemblyDir', dir);
  return remove;
}
