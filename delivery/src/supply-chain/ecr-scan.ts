import type { ECRClient, EnhancedImageScanFinding, ImageScanFinding } from '@aws-sdk/client-ecr';
import { DescribeImageScanFindingsCommand } from '@aws-sdk/client-ecr';
import { isAwsError, oneLine } from '../errors.js';
import { type Finding, toSeverity } from './findings.js';

/**
 * The scan of one image as ECR reports it.
 *
 * `status` is ECR's `imageScanStatus.status` (`COMPLETE`, `IN_PROGRESS`, `FAILED`, … and, with enhanced
 * scanning, `ACTIVE`, `PENDING`, `SCAN_ELIGIBILITY_EXPIRED`, `FINDINGS_UNAVAILABLE`), or
 * `SCAN_NOT_FOUND` when ECR has no scan of the image yet (ScanNotFoundException, usual right after a push).
 */
export interface ImageScan {
  readonly status: string;
  /** ECR's description of the status, if it gave one. */
  readonly description?: string;
  /** Every finding, from every page, of both basic (`findings`) and enhanced (`enhancedFindings`) scanning. */
  readonly findings: readonly Finding[];
}

/** What {@link readImageScan} reads. */
export interface ReadImageScanOptions {
  /** Reads the scan (DescribeImageScanFindings). */
  readonly ecr: ECRClient;
  /** The repository, e.g. `ias-dev-inventory-api`. */
  readonly repository: string;
  /** The image's digest, `sha256:<64 hex>`. */
  readonly digest: string;
  /**
   * The registry (account id) of the repository.
   * @default - the caller's account
   */
  readonly registryId?: string;
}

/**
 * Reads the scan of an image (DescribeImageScanFindings, every page) and normalizes its findings.
 *
 * ScanNotFoundException is answered as status `SCAN_NOT_FOUND`; any other error is thrown as the SDK
 * threw it, for the caller to judge.
 */
export async function readImageScan(options: ReadImageScanOptions): Promise<ImageScan> {
  const { ecr, repository, digest, registryId } = options;
  const findings: Finding[] = [];
  let status = '';
  let description: string | undefined;
  let nextToken: string | undefined;
  let first = true;
  do {
    let page;
    try {
      page = await ecr.send(
        new DescribeImageScanFindingsCommand({
          repositoryName: repository,
          imageId: { imageDigest: digest },
          ...(registryId ? { registryId } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
      );
    } catch (error) {
      if (first && isAwsError(error, 'ScanNotFoundException')) {
        return { status: 'SCAN_NOT_FOUND', description: error.message, findings: [] };
      }
      throw error;
    }
    if (first) {
      status = page.imageScanStatus?.status ?? 'UNKNOWN';
      description = page.imageScanStatus?.description;
      first = false;
    }
    findings.push(
      ...(page.imageScanFindings?.findings ?? []).map(basicFinding),
      ...(page.imageScanFindings?.enhancedFindings ?? []).flatMap(enhancedFindings),
    );
    nextToken = page.nextToken;
  } while (nextToken);
  return { status, ...(description ? { description } : {}), findings };
}

/** A basic scanning finding: `name` is the CVE; the package is in the `package_name`/`package_version` attributes. */
export function basicFinding(finding: ImageScanFinding): Finding {
  const attribute = (key: string) => finding.attributes?.find((entry) => entry.key === key)?.value;
  const packageName = attribute('package_name');
  const version = attribute('package_version');
  return {
    id: finding.name ?? finding.uri ?? 'unnamed finding',
    severity: toSeverity(finding.severity),
    ...(packageName ? { package: packageName } : {}),
    ...(version ? { version } : {}),
    source: 'ecr-basic',
    ...(finding.description ? { title: oneLine(finding.description, 160) } : {}),
  };
}

/**
 * An enhanced scanning (Amazon Inspector) finding, one per vulnerable package it names: the id is the
 * package vulnerability's `vulnerabilityId` (a CVE, or a GHSA for a language package). A finding
 * Inspector has closed (the image no longer has it) is left out.
 */
export function enhancedFindings(finding: EnhancedImageScanFinding): Finding[] {
  if (finding.status === 'CLOSED') {
    return [];
  }
  const details = finding.packageVulnerabilityDetails;
  const id = details?.vulnerabilityId ?? finding.title ?? finding.findingArn ?? 'unnamed finding';
  const base = {
    id,
    severity: toSeverity(finding.severity),
    source: 'inspector' as const,
    ...(finding.title ? { title: oneLine(finding.title, 160) } : {}),
  };
  const packages = details?.vulnerablePackages ?? [];
  if (packages.length === 0) {
    return [base];
  }
  return packages.map((vulnerable) => ({
    ...base,
    ...(vulnerable.name ? { package: vulnerable.name } : {}),
    ...(vulnerable.version ? { version: vulnerable.version } : {}),
  }));
}
