import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The closed set of error codes a Vigil client can see in `extensions.code`.
 * Anything not raised as a VigilError is masked as INTERNAL_SERVER_ERROR outside development.
 */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_REJECTED',
  'UPSTREAM_TIMEOUT',
  'RATE_LIMITED',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A domain error whose message is safe to show to clients. */
export class VigilError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { extensions: { code, ...options.details }, originalError: toError(options.cause) });
    this.code = code;
  }
}

function toError(cause: unknown): Error | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? cause : new Error(String(cause));
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new VigilError('BAD_USER_INPUT', message, { details });

const GRAPHQL_VALIDATION_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/**
 * Apollo Server `formatError`: keeps Vigil's own codes and GraphQL's request errors, masks everything
 * else as "Unexpected error." unless `development` is set. The original error is logged by the caller.
 */
export function maskError(formatted: GraphQLFormattedError, development: boolean): GraphQLFormattedError {
  const code = formatted.extensions?.['code'];
  const known =
    typeof code === 'string' && ((ERROR_CODES as readonly string[]).includes(code) || GRAPHQL_VALIDATION_CODES.has(code));
  if (known && code !== 'INTERNAL_SERVER_ERROR') {
    // Strip stack traces even for known errors: they are for logs, not clients.
    const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  if (development) return formatted;
  return {
    message: 'Unexpected error.',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** A short, secret-free description of any thrown value, for logs and probe statuses. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
