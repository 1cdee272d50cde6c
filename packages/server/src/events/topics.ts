/**
 * The Event Subscription Service's topic catalogue: each topic needs its own scope, besides
 * `events.topic.read`, to be seen and subscribed to.
 */

/** The scope every ESS management call needs. */
export const EVENTS_TOPIC_READ = 'events.topic.read';

/** Topics and the scope that makes each visible. */
export const TOPICS = [{ name: 'public.concur.request', scope: 'travelrequest.write' }] as const;
