/**
 * ESS v4 at Concur's paths: `GET /events/v4/topics`, `PUT /events/v4/subscriptions/webhook`,
 * `GET /events/v4/subscriptions[/{id}]`, `DELETE /events/v4/subscriptions/{id}`, for app tokens with
 * `events.topic.read`. Concur's docs also show the paths without `/events`; both are served.
 */
import type { FastifyInstance } from 'fastify';
import { ConcurApiError, concurErrorHandler } from '../http/concur-errors.ts';
import type { TokenGuard } from '../identity/token-guard.ts';
import type { Store } from '../store/store.ts';
import { deleteSubscription, getSubscription, listSubscriptions, saveSubscription, visibleTopics, type SubscriptionInput } from './subscriptions.ts';
import { EVENTS_TOPIC_READ } from './topics.ts';
import type { WebhookSigner } from './webhook-keys.ts';

/** Registers the ESS management routes and the public webhook signing keys. */
export async function essRoutes(app: FastifyInstance, deps: { store: Store; guard: TokenGuard; signer: WebhookSigner; allowHttpEndpoints: boolean }): Promise<void> {
  const { store, guard } = deps;
  const tags = ['Event Subscription Service'];

  // The public keys that verify Concur-Signature, for subscribers: public by nature, so no sign-in.
  app.get('/api/ess/signing-keys', { schema: { tags, summary: 'Public keys (PEM) that verify Concur-Signature, newest first' } }, async () => ({ keys: await deps.signer.publishedKeys() }));
  app.get('/api/ess/signing-key.pem', { schema: { tags, summary: 'The current Concur-Signature public key, as a PEM file' } }, async (_request, reply) => {
    const [current] = await deps.signer.publishedKeys();
    return reply.type('application/x-pem-file').send(current!.publicKeyPem);
  });

  await app.register(async (scope) => {
    scope.setErrorHandler(concurErrorHandler);
    for (const prefix of ['/events/v4', '/v4']) {
      const hide = prefix === '/v4';
      const appToken = (request: Parameters<TokenGuard['require']>[0]) => guard.require(request, { types: ['app'], allScopes: [EVENTS_TOPIC_READ] });

      scope.get(`${prefix}/topics`, { schema: { tags, hide, summary: 'Topics the app may subscribe to (filtered by its scopes)' } }, async (request) => {
        return visibleTopics((await appToken(request)).scopes);
      });

      scope.put(`${prefix}/subscriptions/webhook`, { schema: { tags, hide, summary: 'Create or replace a webhook subscription (upsert by id)' } }, async (request) => {
        const token = await appToken(request);
        const input = readSubscription(request.body);
        await store.transaction((trx) => saveSubscription(trx, token.appId, token.scopes, input, { allowHttp: deps.allowHttpEndpoints }));
        return { message: `Subscription '${input.id}' saved successfully` };
      });

      scope.get(`${prefix}/subscriptions`, { schema: { tags, hide, summary: 'The app\'s subscriptions' } }, async (request) => {
        return listSubscriptions(store.db, (await appToken(request)).appId);
      });

      // Concur's documentation shows this answer as an array of one subscription (the swagger says an
      // object); clients written against the documentation read an array.
      scope.get<{ Params: { id: string } }>(`${prefix}/subscriptions/:id`, { schema: { tags, hide, summary: 'One subscription, as an array of one (as Concur\'s documentation shows)' } }, async (request) => {
        return [await getSubscription(store.db, (await appToken(request)).appId, request.params.id)];
      });

      scope.delete<{ Params: { id: string } }>(`${prefix}/subscriptions/:id`, { schema: { tags, hide, summary: 'Delete a subscription' } }, async (request) => {
        const token = await appToken(request);
        await store.transaction((trx) => deleteSubscription(trx, token.appId, request.params.id));
        return { message: `Subscription '${request.params.id}' marked for deletion` };
      });
    }
  });
}

function readSubscription(body: unknown): SubscriptionInput {
  const bad = (message: string) => new ConcurApiError(400, 'badParam', message);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The body must be a JSON object: {"id", "topic", "filter", "webHookConfig": {"endpoint"}}.');
  const { id, topic, filter, webHookConfig } = body as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') throw bad('"id" is required: the subscription\'s name.');
  if (typeof topic !== 'string' || topic === '') throw bad('"topic" is required.');
  if (filter !== undefined && filter !== null && typeof filter !== 'string') throw bad('"filter" must be a string (a regular expression over eventType).');
  const endpoint = typeof webHookConfig === 'object' && webHookConfig !== null ? (webHookConfig as Record<string, unknown>).endpoint : undefined;
  if (typeof endpoint !== 'string' || endpoint === '') throw bad('"webHookConfig.endpoint" is required: your HTTPS webhook URL.');
  return { id, topic, filter: typeof filter === 'string' ? filter : undefined, webHookConfig: { endpoint } };
}
