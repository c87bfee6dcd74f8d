import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { stream, lines };
}

describe('logger', () => {
  it('redacts secrets wherever a config object or headers are logged whole', () => {
    const { stream, lines } = capture();
    const logger = createLogger('test', { level: 'info' }, stream);
    logger.info(
      {
        config: { signing: { secret: 'S3CRET-signing-value-0123456789abcdef' }, redisUrl: 'redis://:pw@redis:6379' },
        request: { headers: { authorization: 'Bearer T0KEN-value', 'x-vigil-signature': 't=1,v1=abc', cookie: 'c=1' } },
        falco: { token: 'falco-T0KEN-value' },
        password: 'hunter2',
      },
      'something happened',
    );
    const line = lines.join('');
    expect(line).toContain('something happened');
    for (const secret of ['S3CRET-signing-value', 'pw@redis', 'T0KEN-value', 't=1,v1=abc', 'hunter2', 'c=1']) {
      expect(line, secret).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
  });

  it('strips credentials from URLs shown in logs and errors', () => {
    expect(redactUrl('redis://user:pass@redis:6379/0')).toBe('redis://***:***@redis:6379/0');
    expect(redactUrl('http://victorialogs:9428')).toBe('http://victorialogs:9428/');
    expect(redactUrl('not a url')).toBe('[unparseable url]');
  });
});
