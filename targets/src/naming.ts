/**
 * Builds every physical name of one environment from the project prefix.
 *
 * Resource names are `<prefix>-<env>-<component>`; SSM and Secrets Manager paths are
 * `/<prefix>/<env>/...`. Constructs receive a `Naming` instead of the raw prefix, so no name is
 * ever assembled by hand elsewhere.
 */
export class Naming {
  /**
   * @param prefix the project prefix from README.md
   * @param env the environment name (`dev`, `staging`, `prod`)
   */
  constructor(
    readonly prefix: string,
    readonly env: string,
  ) {}

  /** `<prefix>-<env>` — what every name of this environment starts with. */
  get base(): string {
    return `${this.prefix}-${this.env}`;
  }

  /** A resource name: `<prefix>-<env>-<component>`. */
  name(component: string): string {
    return `${this.base}-${component}`;
  }

  /** A CloudFormation stack name: `<prefix>-<env>-<stack>`. */
  stackName(stack: string): string {
    return this.name(stack);
  }

  /** An SSM parameter or Secrets Manager path: `/<prefix>/<env>/<parts...>`. */
  path(...parts: string[]): string {
    return `/${this.prefix}/${this.env}/${parts.join('/')}`;
  }

  /** The path prefix under which every parameter and secret of this environment lives. */
  get pathPrefix(): string {
    return `/${this.prefix}/${this.env}/`;
  }
}
