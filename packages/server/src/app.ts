/**
 * The composition root: builds the HTTP app (admin API, docs, health, metrics, console) over a
 * store, a secret box and an outbound client. `main.ts` gives it real ones; tests give it their own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from './config.ts';
import { PatchbayError, type ErrorEnvelope } from './http/errors.ts';
import { ConcurApiError } from './http/concur-errors.ts';
import { NulCharacterError, containsNul } from './http/input-guards.ts';
import type { Metrics } from './observability/metrics.ts';
import type { CalloutClient } from './callouts/callout-client.ts';
import type { SecretBox } from './security/secret-box.ts';
import type { Store } from './store/store.ts';
import type { OutboundClient } from './connectors/outbound-client.ts';
import { identityRoutes } from './identity/routes.ts';
import { applicationRoutes } from './identity/application-routes.ts';
import { oauthRoutes } from './identity/oauth-routes.ts';
import type { KeyRing } from './identity/signing-keys.ts';
import type { TokenGuard } from './identity/token-guard.ts';
import type { TokenIssuer } from './identity/tokens.ts';
import { essRoutes } from './events/routes.ts';
import { essAdminRoutes } from './events/admin-routes.ts';
import type { WebhookSigner } from './events/webhook-keys.ts';
import { requestRoutes } from './requests/routes.ts';
import { requestAdminRoutes } from './requests/admin-routes.ts';
import { companyRoutes } from './companies/routes.ts';
import { connectorRoutes } from './connectors/routes.ts';
import { notificationRoutes } from './callouts/notification-routes.ts';
import { calloutRoutes } from './callouts/routes.ts';
import { createSignInThrottle } from './security/rate-limit.ts';

/** The Concur-compatible paths, which answer in Concur's error shape. */
const CONCUR_PATHS = /^\/(travelrequest|events|app-mgmt|oauth2|api\/platform\/notifications)\//;

/** Where the console's built files are (packages/console/dist). */
const CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));

/** What the app is built from. */
export interface AppDeps {
  config: Config;
  store: Store;
  secrets: SecretBox;
  outbound: OutboundClient;
  keys: KeyRing;
  tokens: TokenIssuer;
  guard: TokenGuard;
  webhookSigner: WebhookSigner;
  /** Called after a transaction that published events commits, so delivery starts at once. */
  onEventsCommitted: () => void;
  /** The process's metrics, served at /metrics. */
  metrics: Metrics;
  /** Calls connectors' callout services and keeps the call log. */
  callouts: CalloutClient;
}

/** Builds the Fastify app; call `listen` on it, or `inject` in tests. */
export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store } = deps;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    },
    // One log line per request (written in onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: () => crypto.randomUUID(),
    // Types are checked, not coerced, and unknown properties are rejected rather than dropped, so a
    // client's mistake is a 400 naming the field instead of a silently different request.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    routerOptions: { maxParamLength: 300 },
    // A URL the router cannot even read (a malformed percent-encoding) gets the same error shapes as the rest.
    frameworkErrors: (error, request, untypedReply) => {
      const reply = untypedReply as unknown as FastifyReply;
      const message = `The URL cannot be read: ${error.message}`;
      if (CONCUR_PATHS.test(request.url)) return reply.code(400).send(new ConcurApiError(400, 'badParam', message).body());
      const envelope: ErrorEnvelope = { error: { code: 'validation_failed', message, requestId: request.id } };
      return reply.code(400).send(envelope);
    },
  });

  // The admin API takes JSON only: a text/plain body is a 415, not a string that reaches validation.
  app.removeContentTypeParser('text/plain');

  app.addHook('preValidation', async (request) => {
    if (containsNul(request.params)) throw new NulCharacterError('path');
    if (containsNul(request.query)) throw new NulCharacterError('query string');
    if (containsNul(request.body)) throw new NulCharacterError('request body');
  });

  const { metrics } = deps;
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    request.log.info({ method: request.method, url: request.url, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
  });
  // Browsers that reached patchbay over https keep to https (not sent for a plain-http development URL).
  const strictTransport = config.publicUrl.startsWith('https://');
  app.addHook('onSend', async (_request, reply, payload) => {
    if (strictTransport) reply.header('strict-transport-security', 'max-age=31536000');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'");
    return payload;
  });

  app.setErrorHandler((error: FastifyError | PatchbayError | ConcurApiError, request, reply) => {
    // Concur-compatible endpoints answer in Concur's own error shape.
    if (error instanceof ConcurApiError) return reply.code(error.status).headers(error.headers).send(error.body());
    const envelope = toEnvelope(error);
    envelope.error.requestId = request.id;
    const status = envelope.error.code === 'internal_error' ? 500 : statusOf(error);
    if (status === 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send(envelope);
  });
  app.setNotFoundHandler((request, reply) => {
    const wantsConsole = request.method === 'GET' && !request.url.startsWith('/api/') && existsSync(CONSOLE_DIR);
    if (wantsConsole) return reply.type('text/html').send(readFileSync(`${CONSOLE_DIR}index.html`));
    const envelope: ErrorEnvelope = { error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.`, requestId: request.id } };
    return reply.code(404).send(envelope);
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: { title: 'patchbay admin API', version: '0.1.0', description: 'Companies, sign-in and the application connector registry. Errors: {"error":{"code","message","field","requestId"}}.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'patchbay_session' }, operatorToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ session: [] }, { operatorToken: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await store.db.selectFrom('companies').select('id').limit(1).execute();
      return { status: 'ok', store: store.dialect };
    } catch {
      return reply.code(503).send({ status: 'unavailable', store: store.dialect });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(metrics.contentType).send(await metrics.render());
  });

  // One throttle of failed sign-ins for the console and the token endpoint, so that a client's
  // per-address allowance is one, whichever door it knocks on.
  const signInThrottle = createSignInThrottle(config);
  identityRoutes(app, store, config, signInThrottle);
  companyRoutes(app, store);
  connectorRoutes(app, { store, secrets: deps.secrets, outbound: deps.outbound });
  applicationRoutes(app, store, deps.keys);
  await oauthRoutes(app, { store, tokens: deps.tokens, keys: deps.keys, guard: deps.guard, geolocation: config.publicUrl, throttle: signInThrottle });
  await essRoutes(app, { store, guard: deps.guard, signer: deps.webhookSigner, allowHttpEndpoints: config.allowHttpWebhooks });
  essAdminRoutes(app, { store, signer: deps.webhookSigner, onEventsCommitted: deps.onEventsCommitted });
  await requestRoutes(app, { store, guard: deps.guard, publicUrl: config.publicUrl, onEventsCommitted: deps.onEventsCommitted });
  requestAdminRoutes(app, store, config.publicUrl, deps.onEventsCommitted);
  notificationRoutes(app, { store, guard: deps.guard, publicUrl: config.publicUrl });
  calloutRoutes(app, { store, secrets: deps.secrets, callouts: deps.callouts, publicUrl: config.publicUrl });

  if (existsSync(CONSOLE_DIR)) {
    await app.register(fastifyStatic, { root: CONSOLE_DIR, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  return app;
}

function statusOf(error: FastifyError | PatchbayError): number {
  if (error instanceof PatchbayError) return error.status;
  const status = error.statusCode ?? 500;
  return status >= 400 && status < 600 ? status : 500;
}

/** Turns any error into the envelope; messages of unexpected errors stay in the log, not the response. */
function toEnvelope(error: FastifyError | PatchbayError): ErrorEnvelope {
  if (error instanceof PatchbayError) {
    return { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
  }
  if (error.validation) {
    const first = error.validation[0];
    const where = error.validationContext ?? 'body';
    const field = first ? fieldOf(first.instancePath, first.params) : undefined;
    const message = first ? describeValidation(where, field, first.message, first.params) : error.message;
    return { error: { code: 'validation_failed', message, ...(field ? { field } : {}) } };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { error: { code: 'invalid_json', message: `The request body is not valid JSON: ${error.message}` } };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: { code: 'payload_too_large', message: 'The request body is larger than the server accepts (see --body-limit-bytes).' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: { code: 'unsupported_media_type', message: 'Send the request body as application/json.' } };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { error: { code: status === 404 ? 'not_found' : 'validation_failed', message: error.message } };
  return { error: { code: 'internal_error', message: 'Something went wrong on our side. The request ID identifies it in the server log.' } };
}

function fieldOf(instancePath: string, params: Record<string, unknown>): string | undefined {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  const extra = (params.additionalProperty ?? params.missingProperty) as string | undefined;
  if (extra) return path ? `${path}.${extra}` : extra;
  return path || undefined;
}

function describeValidation(where: string, field: string | undefined, message: string | undefined, params: Record<string, unknown>): string {
  if (params.additionalProperty) return `Unknown field "${field}" in the ${where}: remove it.`;
  if (params.missingProperty) return `The ${where} must include "${field}".`;
  return field ? `"${field}" in the ${where} ${message ?? 'is invalid'}.` : `The ${where} ${message ?? 'is invalid'}.`;
}
