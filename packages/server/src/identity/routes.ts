/** Admin API for console sign-in (`/api/session`) and operator API tokens (`/api/tokens`). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Config } from '../config.ts';
import { PatchbayError } from '../http/errors.ts';
import { errorResponses } from '../http/schemas.ts';
import { getCompany, normalizeLoginId, type Company } from '../companies/companies.ts';
import { connectorPermission } from '../companies/permissions.ts';
import { requireOperator } from '../companies/routes.ts';
import type { Store } from '../store/store.ts';
import { createSignInThrottle, retryAfterSeconds, type SignInThrottle } from '../security/rate-limit.ts';
import type { Principal } from './principal.ts';
import { SESSION_COOKIE, authenticate, createApiToken, signIn, signOut } from './sessions.ts';

const SignIn = Type.Object(
  { loginId: Type.String({ minLength: 1, maxLength: 128 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
const Session = Type.Object({
  user: Type.Object({
    id: Type.String(), loginId: Type.String(), name: Type.String(), roles: Type.Array(Type.String()),
    companyId: Type.Union([Type.String(), Type.Null()]), isOperator: Type.Boolean(),
  }),
  company: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  csrfToken: Type.Union([Type.String(), Type.Null()]),
  permissions: Type.Object({ manageConnectors: Type.Boolean() }),
});

async function describeSession(store: Store, principal: Principal): Promise<Static<typeof Session> & { company: Company | null }> {
  const company = principal.companyId ? await getCompany(store.db, principal.companyId) : null;
  return {
    user: { id: principal.userId, loginId: principal.loginId, name: principal.name, roles: [...principal.roles], companyId: principal.companyId, isOperator: principal.isOperator },
    company,
    csrfToken: principal.csrfToken,
    permissions: { manageConnectors: principal.isOperator || (company !== null && connectorPermission(principal, company).allowed) },
  };
}

/**
 * Registers the sign-in and token routes. Failed sign-ins are throttled by `throttle` (shared with the
 * token endpoint), per client address and login ID and per client address.
 */
export function identityRoutes(app: FastifyInstance, store: Store, config: Config, throttle: SignInThrottle = createSignInThrottle(config)): void {
  const tags = ['Sign-in'];

  app.post<{ Body: Static<typeof SignIn> }>('/api/session', { schema: { tags, summary: 'Sign in to the console (429 with Retry-After after too many failures)', body: SignIn, response: { 200: Session, ...errorResponses(400, 401, 429) } } }, async (request, reply) => {
    const account = `login:${normalizeLoginId(request.body.loginId)}`;
    const attempt = throttle.begin({ ip: request.ip, accounts: [account], passwords: [account] });
    if ('retryAfterMs' in attempt) {
      const seconds = retryAfterSeconds(attempt.retryAfterMs);
      reply.header('retry-after', String(seconds));
      throw new PatchbayError('too_many_requests', `Too many failed sign-ins from your address: wait ${seconds} seconds before trying again.`);
    }
    let session: Awaited<ReturnType<typeof signIn>>;
    try {
      session = await signIn(store, request.body.loginId, request.body.password, config.sessionTtlHours);
    } catch (error) {
      if (error instanceof PatchbayError && error.code === 'invalid_credentials') attempt.failed();
      else attempt.ended();
      throw error;
    }
    attempt.succeeded();
    const { token, principal, expiresAt } = session;
    reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.cookieSecure, expires: new Date(expiresAt) });
    return describeSession(store, principal);
  });

  app.get('/api/session', { schema: { tags, summary: 'The signed-in user, their company, permissions and CSRF token', response: { 200: Session, ...errorResponses(401) } } }, async (request) => {
    return describeSession(store, await authenticate(store.db, request));
  });

  app.delete('/api/session', { schema: { tags, summary: 'Sign out', response: { 204: Type.Null(), ...errorResponses(401, 403) } } }, async (request: FastifyRequest, reply: FastifyReply) => {
    await authenticate(store.db, request);
    await signOut(store.db, request.cookies[SESSION_COOKIE]!);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.post<{ Body: { label: string } }>('/api/tokens', { schema: { tags, summary: 'Create an operator API token (shown once)', body: Type.Object({ label: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), response: { 201: Type.Object({ id: Type.String(), token: Type.String() }), ...errorResponses(400, 401, 403) } } }, async (request, reply) => {
    const principal = await authenticate(store.db, request);
    requireOperator(principal);
    return reply.code(201).send(await store.transaction((trx) => createApiToken(trx, principal, request.body.label)));
  });
}
