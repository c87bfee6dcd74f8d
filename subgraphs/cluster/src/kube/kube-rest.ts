import { STATUS_CODES } from 'node:http';
import { ApiException, createConfiguration, HttpMethod, ServerConfiguration, type Configuration, type KubeConfig } from '@kubernetes/client-node';
import { isRecord } from './kube-object.js';

/** A non-2xx answer from the API server, summarised from its Status body. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** From a `Status` object (an HTTP error body, or the object of a watch ERROR event). */
  static fromStatus(code: number, status: unknown): KubeApiError {
    const reason = isRecord(status) && typeof status.reason === 'string' ? status.reason : undefined;
    const detail = isRecord(status) && typeof status.message === 'string' ? status.message : undefined;
    const statusCode = isRecord(status) && typeof status.code === 'number' ? status.code : code;
    const label = reason ?? STATUS_CODES[statusCode];
    const head = `HTTP ${statusCode}${label ? ` ${label}` : ''}`;
    return new KubeApiError(statusCode, reason, shorten(detail && detail !== label ? `${head}: ${detail}` : head));
  }
}

const MAX_MESSAGE = 240;

function shorten(message: string): string {
  // Nothing here ever holds a credential (we never echo request headers), but a proxy's error page
  // could; keep the net under the rule.
  const clean = message.replace(/Bearer\s+\S+/gi, 'Bearer [redacted]').replace(/\s+/g, ' ').trim();
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE - 1)}…` : clean;
}

/** The HTTP status an error from this module, client-node's Watch or its API clients carries, if any. */
export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof KubeApiError) return error.code;
  if (error instanceof ApiException) return error.code;
  if (typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number') return error.statusCode;
  return undefined;
}

/**
 * A short, credential-free description of a failure for the source state and logs. client-node's
 * ApiException message embeds the whole body and response headers; Watch errors are a bare status
 * text; undici hides the socket error in `cause`.
 */
export function describeKubeError(error: unknown): string {
  if (error instanceof KubeApiError) return error.message;
  if (error instanceof ApiException) {
    let body: unknown = error.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // not JSON: fall back to the code alone
      }
    }
    return KubeApiError.fromStatus(error.code, body).message;
  }
  const code = statusCodeOf(error);
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    const text = cause && cause !== error.message ? `${error.message}: ${cause}` : error.message;
    return shorten(code !== undefined ? `HTTP ${code}: ${text}` : text);
  }
  return shorten(String(error));
}

/**
 * GETs raw JSON through client-node's own HTTP layer: the same RequestContext, authentication
 * (`KubeConfig.applySecurityAuthentication`: tokens, exec plugins, client certificates, CA bundles,
 * proxies) and undici transport as its generated API clients and its Watch. The generated clients
 * are not used for lists because they deserialise built-in kinds into model classes (Dates instead
 * of RFC 3339 strings, renamed fields), while watch events arrive as plain JSON: one raw shape for
 * both keeps the objects handed on — and stored for lineage — exactly as the API server sent them.
 */
export class KubeRestClient {
  private readonly configuration: Configuration;

  constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig context names no cluster');
    this.configuration = createConfiguration({ baseServer: new ServerConfiguration<Record<string, string>>(cluster.server, {}) });
  }

  async getJson(path: string, query: Readonly<Record<string, string | undefined>>, signal?: AbortSignal): Promise<unknown> {
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    request.setHeaderParam('Accept', 'application/json');
    for (const [name, value] of Object.entries(query)) if (value !== undefined) request.setQueryParam(name, value);
    if (signal) request.setSignal(signal);
    await this.kubeConfig.applySecurityAuthentication(request);
    const response = await this.configuration.httpApi.send(request).toPromise();
    const text = await response.body.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) throw KubeApiError.fromStatus(response.httpStatusCode, body);
    if (body === undefined) throw new Error(`GET ${path}: the response is not JSON`);
    return body;
  }
}
