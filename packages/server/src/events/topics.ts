/**
 * The Event Subscription Service's topic catalogue and `GET /events/v4/topics`: the topics an app
 * token may see, each needing its own scope besides `events.topic.read`.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenGuard } from '../identity/token-guard.ts';

/** The scope every ESS management call needs. */
export const EVENTS_TOPIC_READ = 'events.topic.read';

/** Topics and the scope that makes each visible. */
export const TOPICS = [{ name: 'public.concur.request', scope: 'travelrequest.write' }] as const;

/** Registers the topic routes (with and without the gateway's `/events` prefix, as Concur's docs use both). */
export function topicRoutes(app: FastifyInstance, guard: TokenGuard): void {
  for (const path of ['/events/v4/topics', '/v4/topics']) {
    app.get(path, { schema: { tags: ['Event Subscription Service'], summary: 'Topics the app may subscribe to (filtered by its scopes)', hide: path === '/v4/topics' } }, async (request) => {
      const token = await guard.require(request, { types: ['app'], allScopes: [EVENTS_TOPIC_READ] });
      return TOPICS.filter((topic) => token.scopes.includes(topic.scope)).map((topic) => topic.name);
    });
  }
}
