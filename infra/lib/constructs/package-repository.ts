import { RemovalPolicy } from 'aws-cdk-lib';
import * as codeartifact from 'aws-cdk-lib/aws-codeartifact';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Props of {@link PackageRepository}. */
export interface PackageRepositoryProps {
  /** The CodeArtifact domain name, `<prefix>-<env>`. */
  readonly domainName: string;
  /** The repository builds install from, `<prefix>-<env>-npm`. */
  readonly repositoryName: string;
  /** Customer-managed key the domain's assets are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** Keep the domain and repositories when the stack is destroyed. */
  readonly retainData: boolean;
}

/**
 * The CodeArtifact domain and npm repository of seed 003 §8: builds install their dependencies
 * from `repositoryName`, which proxies the public npm registry through an upstream repository
 * (`<repositoryName>-store`) holding the external connection, and caches what it fetched.
 */
export class PackageRepository extends Construct {
  /** The domain. */
  readonly domain: codeartifact.CfnDomain;
  /** The repository builds install from. */
  readonly repository: codeartifact.CfnRepository;
  /** The upstream repository connected to the public npm registry. */
  readonly upstream: codeartifact.CfnRepository;

  constructor(scope: Construct, id: string, props: PackageRepositoryProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.domain = new codeartifact.CfnDomain(this, 'Domain', {
      domainName: props.domainName,
      encryptionKey: props.encryptionKey.keyArn,
    });
    this.domain.applyRemovalPolicy(removalPolicy);

    this.upstream = new codeartifact.CfnRepository(this, 'NpmStore', {
      domainName: this.domain.attrName,
      repositoryName: `${props.repositoryName}-store`,
      description: 'Proxy and cache of the public npm registry',
      externalConnections: ['public:npmjs'],
    });
    this.upstream.applyRemovalPolicy(removalPolicy);

    this.repository = new codeartifact.CfnRepository(this, 'Resource', {
      domainName: this.domain.attrName,
      repositoryName: props.repositoryName,
      description: 'npm packages for builds (seed 003 §8); upstream: the public npm registry',
      upstreams: [this.upstream.attrName],
    });
    this.repository.applyRemovalPolicy(removalPolicy);
  }
}
