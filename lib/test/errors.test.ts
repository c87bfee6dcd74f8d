import type { GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, VigilError, badInput, describeError, maskError } from '../src/errors.js';

/** What Apollo hands formatError: the error as JSON, with a stacktrace extension when it includes one. */
function formatted(error: VigilError | Error, extra: Record<string, unknown> = {}): GraphQLFormattedError {
  const base: GraphQLFormattedError =
    error instanceof VigilError ? error.toJSON() : { message: error.message, extensions: {} };
  return {
    ...base,
    locations: [{ line: 1, column: 3 }],
    path: ['host', 'packages'],
    extensions: { ...base.extensions, stacktrace: (error.stack ?? '').split('\n'), ...extra },
  };
}

const PASSING_CODES = ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR');

describe('maskError', () => {
  it.each(PASSING_CODES)('%s passes through, message and details kept, stacktrace dropped, in production and development', (code) => {
    const error = new VigilError(code, `safe message for ${code}`, { details: { argument: 'first' } });
    for (const development of [false, true]) {
      const masked = maskError(formatted(error), development);
      expect(masked.message).toBe(`safe message for ${code}`);
      expect(masked.extensions).toEqual({ code, argument: 'first' });
      expect(masked.path).toEqual(['host', 'packages']);
      expect(masked.locations).toEqual([{ line: 1, column: 3 }]);
    }
  });

  it("GraphQL's own request errors pass through", () => {
    const masked = maskError({ message: 'Cannot query field "nope" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['GraphQLError: …'] } }, false);
    expect(masked).toEqual({ message: 'Cannot query field "nope" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('an unknown error becomes "Unexpected error." with INTERNAL_SERVER_ERROR outside development, keeping only where it happened', () => {
    const error = new Error('connect ECONNREFUSED 10.0.0.5:6379 (user vigil)');
    const masked = maskError(formatted(error), false);
    expect(masked).toEqual({
      message: 'Unexpected error.',
      locations: [{ line: 1, column: 3 }],
      path: ['host', 'packages'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(masked)).not.toContain('ECONNREFUSED');
  });

  it('an unlisted code is masked too: the set of codes is closed', () => {
    const masked = maskError({ message: 'socket hang up', extensions: { code: 'ECONNRESET' } }, false);
    expect(masked).toEqual({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('INTERNAL_SERVER_ERROR raised explicitly is masked outside development as well', () => {
    const error = new VigilError('INTERNAL_SERVER_ERROR', 'invariant broken: store returned 3 rows for 2 ids');
    const masked = maskError(formatted(error), false);
    expect(masked.message).toBe('Unexpected error.');
    expect(masked.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('in development the detail of an unknown error is kept', () => {
    const error = new Error('connect ECONNREFUSED 10.0.0.5:6379');
    const original = formatted(error);
    const kept = maskError(original, true);
    expect(kept.message).toBe('connect ECONNREFUSED 10.0.0.5:6379');
    expect(kept.extensions?.['stacktrace']).toEqual(original.extensions?.['stacktrace']);
  });
});

describe('VigilError', () => {
  it('is a GraphQLError carrying its code, details and cause', () => {
    const cause = new Error('HTTP 403 from the API server');
    const error = new VigilError('UPSTREAM_REJECTED', 'Kubernetes refused the request.', { cause, details: { status: 403 } });
    expect(error.code).toBe('UPSTREAM_REJECTED');
    expect(error.extensions).toEqual({ code: 'UPSTREAM_REJECTED', status: 403 });
    expect(error.originalError).toBe(cause);
    expect(new VigilError('NOT_FOUND', 'x', { cause: 'a string' }).originalError?.message).toBe('a string');
    expect(badInput('first must be between 1 and 500').extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });
});

describe('describeError', () => {
  it('gives the message of an Error and the string of anything else', () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('plain')).toBe('plain');
    expect(describeError(42)).toBe('42');
  });
});
