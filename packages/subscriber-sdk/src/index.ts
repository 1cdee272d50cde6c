/**
 * @patchbay/subscriber-sdk: receive SAP Concur ESS webhooks (from Concur or from patchbay):
 * `Concur-Signature` verification, typed Request `statusChange` events, de-duplication by event id,
 * and a node:http handler doing all three.
 */
export { loadPublicKey, verifySignature, type PublicKeyInput } from './signature.ts';
export {
  BOOLEAN_FACTS,
  EventParseError,
  REQUEST_TOPIC,
  parseEvent,
  type RawBoolean,
  type RequestStatusChangedEvent,
  type RequestStatusChangedFacts,
  type RequestStatusFlags,
} from './event.ts';
export { createDeduplicator, type Deduplicator, type DeduplicatorOptions } from './deduplicator.ts';
export { createWebhookHandler, type DeliveryContext, type PublicKeySource, type RejectionInfo, type WebhookHandler, type WebhookHandlerOptions } from './webhook-handler.ts';
