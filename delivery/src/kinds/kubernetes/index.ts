/**
 * The Kubernetes application's objects: its `kubernetes.json`, the objects its colors share and each
 * color's, rendered with cdk8s and cdk8s-plus-33, validated offline, and the review copy synth writes.
 */
export {
  type KubernetesManifest,
  kubernetesManifestProblems,
  kubernetesManifestSchema,
  loadKubernetesManifest,
  parseKubernetesManifest,
  parseQuantity,
} from './manifest.js';
export {
  APP_LABEL,
  COLOR_LABEL,
  colorSelector,
  CONFIG_HASH_ANNOTATION,
  configData,
  forwardAction,
  imageDigestProblem,
  INGRESS_WEIGHTS_ANNOTATION,
  ingressClassName,
  type KubernetesAppInput,
  type KubernetesContainerSettings,
  type KubernetesNames,
  type KubernetesObject,
  type KubernetesReplicas,
  PART_OF_LABEL,
  RDS_CA_BUNDLE,
  type RenderColorOptions,
  renderColor,
  renderShared,
  RUN_AS_USER,
  SERVICE_PORT,
  SERVICE_PORT_NAME,
  toYaml,
  WEIGHTED_ACTION,
} from './manifests.js';
export { validateManifests } from './validate.js';
export {
  REVIEW_IMAGE_DIGEST,
  type ReviewCopy,
  type ReviewInput,
  renderForReview,
  reviewCopy,
} from './render-cli.js';
