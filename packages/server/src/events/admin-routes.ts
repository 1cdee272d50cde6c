/** Admin API for ESS: subscriptions, their deliveries and attempts, replay, and webhook key rotation. */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.ts';
import type { WebhookSigner } from './webhook-keys.ts';

/** Registers the ESS administration routes. */
export function essAdminRoutes(_app: FastifyInstance, _deps: { store: Store; signer: WebhookSigner; onEventsCommitted: () => void }): void {}
