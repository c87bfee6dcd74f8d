import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authConfig, tenantsConfig } from '../src/auth/auth-config.js';
import { DEVELOPMENT_IDENTITY, createAuthenticator, type Authenticator } from '../src/auth/authenticator.js';

/**
 * The authenticator against real tokens: HS256 with a shared secret, and RS256 from a JWKS served
 * over HTTP on a free loopback port, as an OIDC provider serves it. The clock is injected: token
 * times are relative to it, never to today.
 */

const NOW = new Date('2030-06-01T12:00:00Z');
const clock = () => NOW;
const nowSeconds = Math.floor(NOW.getTime() / 1000);
const SECRET = 's'.repeat(40);
const hs = new TextEncoder().encode(SECRET);
const tenants = tenantsConfig.parse({ 'team-a': { clusters: ['a'], hostLabels: { team: 'a' }, victoriaLogs: { accountId: 7 } } });

function hsToken(claims: Record<string, unknown>, options: { exp?: number; nbf?: number; iss?: string; aud?: string; sub?: string | null } = {}): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(options.exp ?? nowSeconds + 600);
  if (options.sub !== null) jwt = jwt.setSubject(options.sub ?? 'alice');
  if (options.nbf !== undefined) jwt = jwt.setNotBefore(options.nbf);
  if (options.iss) jwt = jwt.setIssuer(options.iss);
  if (options.aud) jwt = jwt.setAudience(options.aud);
  return jwt.sign(hs);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('authenticator: HS256 and API keys', () => {
  const apiKey = 'vk_0123456789abcdef0123456789';
  const auth = createAuthenticator(
    authConfig.parse({
      jwt: { secret: SECRET, issuer: 'https://sso.test', audience: 'vigil', rolesClaim: 'realm_access.roles' },
      apiKeys: [{ name: 'bot', sha256: createHash('sha256').update(apiKey).digest('hex'), roles: ['analyst'], tenants: ['team-a'] }],
    }),
    tenants,
    { development: false, clock },
  );
  const good = { iss: 'https://sso.test', aud: 'vigil' };

  it('accepts a valid token: subject, roles from a nested claim (unknown roles dropped), tenants resolved to their scopes, expiry', async () => {
    const result = await auth.authenticate(bearer(await hsToken({ realm_access: { roles: ['analyst', 'offline_access'] }, tenants: ['team-a'] }, good)));
    expect(result).toEqual({
      ok: true,
      identity: {
        subject: 'alice',
        kind: 'user',
        roles: ['analyst'],
        tenants: [{ name: 'team-a', clusters: ['a'], hostLabels: { team: 'a' }, victoriaLogs: { accountId: 7, projectId: 0 } }],
        expiresAt: nowSeconds + 600,
      },
    });
  });

  it('no tenants claim means every tenant', async () => {
    const result = await auth.authenticate(bearer(await hsToken({ realm_access: { roles: ['viewer'] } }, good)));
    expect(result.ok && result.identity.tenants).toBeNull();
  });

  it.each([
    ['expired beyond the skew', { ...good, exp: nowSeconds - 31 }, 'token expired'],
    ['not valid yet', { ...good, nbf: nowSeconds + 120 }, 'token is not valid yet (nbf)'],
    ['another issuer', { ...good, iss: 'https://evil.test' }, 'token issuer does not match'],
    ['another audience', { ...good, aud: 'grafana' }, 'token audience does not match'],
    ['no subject', { ...good, sub: null }, 'token has no "sub" claim'],
  ])('refuses a token %s, naming the check', async (_name, options, reason) => {
    expect(await auth.authenticate(bearer(await hsToken({ realm_access: { roles: ['admin'] } }, options)))).toEqual({ ok: false, reason });
  });

  it('accepts a token expired within the skew (30 s)', async () => {
    expect((await auth.authenticate(bearer(await hsToken({}, { ...good, exp: nowSeconds - 20 })))).ok).toBe(true);
  });

  it('refuses a forged signature, alg none, garbage and an unknown tenant; never echoes the token', async () => {
    const token = await hsToken({}, good);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('x'.repeat(32)).toString('base64url')}`;
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    const results = [
      await auth.authenticate(bearer(forged)),
      await auth.authenticate(bearer(none)),
      await auth.authenticate(bearer('garbage')),
      await auth.authenticate({ authorization: 'Basic dXNlcjpwYXNz' }),
      await auth.authenticate(bearer(await hsToken({ tenants: ['team-z'] }, good))),
    ];
    expect(results).toEqual([
      { ok: false, reason: 'token signature does not verify' },
      { ok: false, reason: 'token algorithm is not allowed' },
      { ok: false, reason: 'token is malformed' },
      { ok: false, reason: 'Authorization header is not "Bearer <token>"' },
      { ok: false, reason: 'unknown tenant "team-z"' },
    ]);
    for (const result of results) if (!result.ok) expect(result.reason).not.toContain(payload);
  });

  it('API keys: the right key gets its roles and tenants, any other is refused', async () => {
    expect(await auth.authenticate({ apiKey })).toMatchObject({ ok: true, identity: { subject: 'apikey:bot', kind: 'apiKey', roles: ['analyst'], tenants: [{ name: 'team-a' }], expiresAt: null } });
    expect(await auth.authenticate({ apiKey: `${apiKey}x` })).toEqual({ ok: false, reason: 'API key not recognised' });
    expect(await auth.authenticate({})).toEqual({ ok: false, reason: 'no credentials: send "Authorization: Bearer <token>" or "x-api-key: <key>"' });
  });

  it('nothing configured: development is a local admin, production refuses', async () => {
    const none = authConfig.parse({});
    expect(await createAuthenticator(none, {}, { development: true }).authenticate({})).toEqual({ ok: true, identity: DEVELOPMENT_IDENTITY });
    expect(await createAuthenticator(none, {}, { development: false }).authenticate({})).toEqual({ ok: false, reason: 'no authentication is configured' });
  });
});

describe('authenticator: an OIDC provider JWKS over HTTP', () => {
  let server: Server;
  let auth: Authenticator;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  let jwksRequests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      jwksRequests += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    auth = createAuthenticator(authConfig.parse({ jwt: { jwksUrl: `http://127.0.0.1:${port}/certs`, issuer: 'https://idp.test', audience: 'vigil' } }), tenants, { development: false, clock });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const rsToken = (key: CryptoKey, kid: string) =>
    new SignJWT({ roles: ['viewer'] }).setProtectedHeader({ alg: 'RS256', kid }).setSubject('bob').setIssuer('https://idp.test').setAudience('vigil').setExpirationTime(nowSeconds + 300).sign(key);

  it('verifies RS256 tokens with the provider keys, fetching the JWKS once for many tokens', async () => {
    for (let i = 0; i < 5; i++) expect(await auth.authenticate(bearer(await rsToken(privateKey, 'k1')))).toMatchObject({ ok: true, identity: { subject: 'bob', roles: ['viewer'] } });
    expect(jwksRequests).toBe(1);
  });

  it('refuses a token signed by a key the provider does not publish, and an HS256 token (no secret configured)', async () => {
    expect(await auth.authenticate(bearer(await rsToken(otherKey, 'k1')))).toEqual({ ok: false, reason: 'token signature does not verify' });
    expect(await auth.authenticate(bearer(await hsToken({}, { iss: 'https://idp.test', aud: 'vigil' })))).toEqual({ ok: false, reason: 'token algorithm is not allowed' });
  });
});
