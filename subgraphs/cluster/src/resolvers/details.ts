import type {
  AffectedPackageResolvers,
  AuditDetailsResolvers,
  KubeBenchDetailsResolvers,
  KyvernoPolicyDetailsResolvers,
  SecurityEventDetailsResolvers,
  TrivyVulnerabilityDetailsResolvers,
} from '../__generated__/resolvers-types.js';

/** GraphQL type of each details variant: the `kind` tag where the source has one, else by shape. */
const BY_KIND = {
  TRIVY_VULNERABILITY: 'TrivyVulnerabilityDetails',
  TRIVY_CONFIG_AUDIT: 'TrivyConfigAuditDetails',
  TRIVY_COMPLIANCE: 'TrivyComplianceDetails',
  KYVERNO_POLICY: 'KyvernoPolicyDetails',
  KUBE_BENCH: 'KubeBenchDetails',
  CHECKOV: 'CheckovDetails',
} as const;

export const SecurityEventDetails: SecurityEventDetailsResolvers = {
  __resolveType: (details) => {
    if ('kind' in details) return BY_KIND[details.kind];
    return 'auditId' in details ? 'AuditDetails' : 'FalcoDetails';
  },
};

export const AuditDetails: AuditDetailsResolvers = {
  command: (details) => details.command ?? [],
  subjects: (details) => details.subjects ?? [],
};

export const TrivyVulnerabilityDetails: TrivyVulnerabilityDetailsResolvers = {
  vulnerability: (details) => ({ id: details.vulnerabilityId, findings: [] }),
  osFamily: (details) => details.os?.family ?? null,
  osName: (details) => details.os?.name ?? null,
};

export const AffectedPackage: AffectedPackageResolvers = {
  name: (pkg) => pkg.pkgName,
};

export const KyvernoPolicyDetails: KyvernoPolicyDetailsResolvers = {
  producer: (details) => details.source,
};

export const KubeBenchDetails: KubeBenchDetailsResolvers = {
  sectionId: (details) => details.section.id,
  sectionText: (details) => details.section.text,
};
