import type { TestProject } from 'vitest/node';
import { synthesizeToTempDir } from '@ias/infra/synth';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The whole app (README prefix, real profiles), synthesized once as `npm run synth` does. */
    assemblyDir: string;
  }
}

/** Synthesizes the real app once for every test file. */
export default function setup(project: TestProject): () => void {
  const { dir, remove } = synthesizeToTempDir('wiring');
  project.provide('assemblyDir', dir);
  return remove;
}
