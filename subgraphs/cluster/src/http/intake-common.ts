import { createHash } from 'node:crypto';
import type { ErrorRequestHandler } from 'express';
import { describeError } from '@vigil/lib/errors';
import type { Logger } from '@vigil/lib/logger';

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

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
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
