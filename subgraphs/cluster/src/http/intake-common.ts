import { createHash } from 'node:crypto';
import type { ErrorRequestHandler } from 'express';
import { describeError } from '@vigil/lib/errors';
import type { Logger } from '@vigil/lib/logger';
import type { RetentionWindow } from '../store/security-event-store.js';

/** What the webhook intakes (Falco, the audit webhook) share: credentials, body decoding, body errors. */

/**
 * The token a sender presents: `Authorization: Bearer <token>`, or the password of Basic auth
 * (Falco's http_output can only put credentials in its URL, and a kubeconfig user with
 * username/password sends Basic: in both, the password is the token).
 */
export function presentedToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  if (scheme.toLowerCase() === 'bearer' && value !== '') return value;
  if (scheme.toLowerCase() === 'basic' && value !== '') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? null : decoded.slice(colon + 1);
  }
  return null;
}

/** Fixed-length digests, so timingSafeEqual can compare tokens of any length in constant time. */
export function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The charsets a webhook body may be declared in; anything else is answered 415 before the body is read. */
export type BodyCharset = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-16' | 'iso-8859-1' | 'us-ascii';

const CHARSET_LABELS: ReadonlyMap<string, BodyCharset> = new Map([
  ['utf-8', 'utf-8'],
  ['utf8', 'utf-8'],
  ['utf-16', 'utf-16'],
  ['utf-16le', 'utf-16le'],
  ['utf-16be', 'utf-16be'],
  ['iso-8859-1', 'iso-8859-1'],
  ['latin1', 'iso-8859-1'],
  ['us-ascii', 'us-ascii'],
  ['ascii', 'us-ascii'],
]);

/**
 * The charset a Content-Type declares (UTF-8 when it declares none, as JSON's RFC 8259 says), or why
 * it is refused: `{ error }` names the charset and the ones accepted, for a 415.
 */
export function bodyCharset(contentType: string | undefined): { charset: BodyCharset } | { error: string } {
  const declared = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  if (!declared) return { charset: 'utf-8' };
  const label = (declared[1] ?? declared[2] ?? '').trim().toLowerCase();
  const charset = CHARSET_LABELS.get(label);
  if (charset !== undefined) return { charset };
  return { error: `unsupported charset "${label.slice(0, 40)}" in Content-Type: send UTF-8 (UTF-16 and ISO-8859-1 are decoded too)` };
}

const decoders = {
  'utf-8': new TextDecoder('utf-8', { fatal: true }),
  'utf-16le': new TextDecoder('utf-16le', { fatal: true }),
  'utf-16be': new TextDecoder('utf-16be', { fatal: true }),
};

/**
 * The body as text in its declared charset, or null when its bytes are not valid in it. `utf-16`
 * follows the byte order mark and, without one, is read as little-endian (what every sender that
 * omits it writes; the WHATWG decoder does the same). ISO-8859-1 maps each byte to the code point of
 * its value (Node's `latin1`, not the web's windows-1252).
 */
export function decodeBody(bytes: Buffer, charset: BodyCharset): string | null {
  try {
    switch (charset) {
      case 'utf-8':
        return decoders['utf-8'].decode(bytes);
      case 'utf-16':
        return bytes[0] === 0xfe && bytes[1] === 0xff ? decoders['utf-16be'].decode(bytes) : decoders['utf-16le'].decode(bytes);
      case 'utf-16le':
      case 'utf-16be':
        return decoders[charset].decode(bytes);
      case 'iso-8859-1':
        return bytes.toString('latin1');
      case 'us-ascii':
        return bytes.every((b) => b < 0x80) ? bytes.toString('ascii') : null;
    }
  } catch {
    return null;
  }
}

/** How the charset is named in a 400 for bytes that are not valid in it. */
function charsetName(charset: BodyCharset): string {
  return charset === 'us-ascii' ? 'US-ASCII' : charset.toUpperCase();
}

/**
 * A webhook body (raw bytes; anything else reads as '') as text in the charset its Content-Type
 * declares (checked already: 415 before this), or the 400's error when its bytes are not valid in it.
 */
export function decodeDeclaredBody(bytes: unknown, contentType: string | undefined): { text: string } | { error: string } {
  const declared = bodyCharset(contentType);
  const charset = 'charset' in declared ? declared.charset : 'utf-8';
  const text = Buffer.isBuffer(bytes) ? decodeBody(bytes, charset) : '';
  return text === null ? { error: `body is not valid ${charsetName(charset)}` } : { text };
}

/**
 * Nesting of arrays and objects a webhook body may have. The deepest shapes stored are an audit
 * event's requestObject/responseObject (a Kubernetes object: a CRD's spec rarely goes past 20 levels
 * under the EventList); 64 leaves room while keeping a hostile body from costing a deep structure (or
 * the stack) in JSON.parse, normalisation and the store.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Where a JSON text first nests deeper than `max` (objects and arrays), or null: a scan of the text
 * that skips strings, run before JSON.parse so a 100,000-deep body is refused without being built.
 * It does not validate the JSON (JSON.parse does, after).
 */
export function jsonDepthExceeded(text: string, max: number): { offset: number } | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) return { offset: i };
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return null;
}

/** The 400's error for a body nested deeper than MAX_JSON_DEPTH, or null when it is not. */
export function jsonDepthRefusal(text: string): string | null {
  const tooDeep = jsonDepthExceeded(text, MAX_JSON_DEPTH);
  if (tooDeep === null) return null;
  return `body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (level ${MAX_JSON_DEPTH + 1} at character ${tooDeep.offset}): refused before parsing`;
}

/**
 * The 422 refusal of a body holding occurrences the store would not keep (last seen at or before its
 * retention cutoff: they would expire at once; DESIGN: never acknowledge what is not kept), naming the
 * first by `describe`; null when there are none. `occurredAtOf` is null for an item that stores nothing.
 */
export function outsideRetentionRefusal<T>(
  items: readonly T[],
  occurredAtOf: (item: T) => string | null,
  retention: RetentionWindow,
  describe: (item: T) => string,
): string | null {
  const stale = items.filter((item) => {
    const occurredAt = occurredAtOf(item);
    return occurredAt !== null && Date.parse(occurredAt) <= retention.cutoff.getTime();
  });
  const [first] = stale;
  if (first === undefined) return null;
  const more = stale.length > 1 ? ` (and ${stale.length - 1} more)` : '';
  return (
    `${describe(first)} occurred at ${occurredAtOf(first) ?? ''}, outside the retention window of ${retention.days} days (events after ${retention.cutoff.toISOString()} are kept)${more}: ` +
    'it would expire at once, so nothing of this body was stored'
  );
}

/** body-parser's errors (size, encoding, truncated or corrupt compressed bodies) as `{ error }` answers. */
export function bodyErrors(options: { maxBodyBytes: number; logger: Logger; what: string }): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const type = propertyOf(error, 'type');
    const status = propertyOf(error, 'status');
    if (type === 'entity.too.large') {
      res.status(413).json({ error: `body exceeds the limit of ${options.maxBodyBytes} bytes` });
    } else if (type === 'encoding.unsupported') {
      res.status(415).json({ error: 'unsupported Content-Encoding: send the body uncompressed, or gzip, deflate or br' });
    } else if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(400).json({ error: `body could not be read: ${describeError(error)}` });
    } else {
      options.logger.error({ err: describeError(error) }, `${options.what} failed`);
      res.status(500).json({ error: 'unexpected error' });
    }
  };
}

function propertyOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value ? (value as Record<string, unknown>)[key] : undefined;
}
