/**
 * Software bills of materials: built once with each artifact (`buildSbom`, the CLI in cli.ts), stored
 * beside it in the artifact bucket, referenced from the release ledger, and asked which package
 * versions an artifact contains (`readSbom`, `findComponents`).
 */
export {
  type BuildSbomOptions,
  type BuiltSbom,
  type SbomSpecVersion,
  type Workspace,
  buildSbom,
  findWorkspace,
  SBOM_SPEC_VERSIONS,
} from './build.js';
export {
  type PackageSpec,
  type Sbom,
  type SbomComponent,
  findComponents,
  parsePackageSpec,
  readSbom,
  sbomComponents,
  sbomSchema,
} from './sbom.js';
export { type StoreSbomOptions, type StoredSbom, SBOM_CONTENT_TYPE, SBOM_FILE, storeSbom } from './store.js';
