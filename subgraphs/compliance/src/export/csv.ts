import { stringify } from 'csv-stringify/sync';
import { keyOfSubject } from '../results.js';
import { referenceUri, type ExportInput } from './export-results.js';

export const CSV_MEDIA_TYPE = 'text/csv; charset=utf-8; header=present';

export const CSV_COLUMNS = [
  'framework',
  'control_id',
  'control_title',
  'subject_kind',
  'subject_id',
  'subject_key',
  'cluster',
  'namespace',
  'status',
  'status_since',
  'waived',
  'waiver_reason',
  'waiver_owner',
  'waiver_expires_at',
  'evaluated_at',
  'evidence_summary',
  'expected',
  'observed',
  'evidence_reference',
] as const;

/**
 * One row per control × subject, the same results as the OSCAL export. A result with several evidence
 * items lists them one per line within its evidence cells, in the same order in each column.
 *
 * RFC 4180 (CRLF records, fields quoted when they hold a comma, quote or line break) by csv-stringify,
 * with its formula escaping on: a cell starting with = + - @ tab or CR (or their full-width forms)
 * gets a leading ' so a spreadsheet shows it instead of running it — these values come from hosts,
 * clusters and waiver reasons, which an attacker on a host or an admin's typo can shape.
 */
export function complianceCsv(input: ExportInput): string {
  const rows = input.results.map(({ control, result, waiver }) => {
    const s = result.subject;
    // Several items share a cell one per line, so an item's own line breaks become spaces there.
    const lines = (pick: (i: number) => string) => (result.evidence.length === 1 ? pick(0) : result.evidence.map((_, i) => pick(i).replace(/\r\n|\r|\n/g, ' ')).join('\n'));
    return [
      input.framework,
      control.id,
      control.title,
      s?.kind ?? 'CONTROL',
      s?.name ?? '',
      keyOfSubject(s),
      s?.cluster ?? '',
      s?.namespace ?? '',
      result.viewStatus,
      result.since,
      waiver ? 'true' : 'false',
      waiver?.reason ?? '',
      waiver?.owner ?? '',
      waiver?.expiresAt ?? '',
      input.evaluatedAt,
      lines((i) => result.evidence[i]!.summary),
      lines((i) => result.evidence[i]!.expected ?? ''),
      lines((i) => result.evidence[i]!.observed ?? ''),
      lines((i) => (result.evidence[i]!.reference ? referenceUri(result.evidence[i]!.reference!) : '')),
    ];
  });
  // quote_record_delimiter: with a record delimiter set, csv-stringify would otherwise quote only cells
  // holding CRLF itself, leaving a lone LF unquoted — a row break to a spreadsheet. Cells with leading
  // or trailing whitespace are quoted too, so a reader that trims cannot change them.
  return stringify([[...CSV_COLUMNS], ...rows], { record_delimiter: 'windows', quote_record_delimiter: true, escape_formulas: true, quoted_match: /^\s|\s$/ });
}
