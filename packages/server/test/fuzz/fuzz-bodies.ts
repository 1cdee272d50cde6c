/**
 * Valid bodies of the routes that validate in code rather than with a schema (Request v4, ESS), as
 * arbitraries: the fuzz suites mutate them, so that most inputs get past the first checks.
 */
import fc from 'fast-check';
import type { Route } from './fuzz-support.ts';
import type { FuzzWorld } from './fuzz-world.ts';

/** The workflow actions of Request v4, and two that are not. */
export const ACTIONS = ['submit', 'approve', 'recall', 'sendback', 'cancel', 'close', 'reopen', 'delete', 'x'];

const date = fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));

/** A Request v4 request body: of a create (no `id`), or of an update (with the request's `id`, usually). */
export function requestBody(world: FuzzWorld, purpose: 'create' | 'update' = 'create'): fc.Arbitrary<Record<string, unknown>> {
  const fields = fc.record(
    {
      name: fc.stringMatching(/^\w[\w .'-]{0,58}$/),
      businessPurpose: fc.string({ maxLength: 60 }),
      comment: fc.string({ maxLength: 60 }),
      dates: fc.tuple(date, date).map(([a, b]) => (a <= b ? [a, b] : [b, a])),
      startTime: fc.constantFrom('09:00', '23:59', '00:00'),
      endTime: fc.constantFrom('18:00', '23:59'),
      mainDestination: fc.record(
        { city: fc.constantFrom('Paris', 'Lyon'), countryCode: fc.constantFrom('FR', 'US'), iataCode: fc.constantFrom('CDG', 'JFK'), name: fc.string({ maxLength: 20 }), latitude: fc.double({ min: -90, max: 90, noNaN: true }), longitude: fc.double({ min: -180, max: 180, noNaN: true }) },
        { requiredKeys: ['city', 'countryCode'] },
      ),
      policy: fc.constant({ id: world.fixture.defaultPolicy.policyId }),
      travelAgency: fc.constantFrom<unknown>({ id: world.fixture.agency.id }, null),
      custom1: fc.record({ code: fc.string({ maxLength: 10 }), value: fc.string({ maxLength: 20 }) }),
      custom20: fc.constantFrom<unknown>(null, { code: 'X', value: 'Y' }),
    },
    { requiredKeys: ['name'] },
  ).map(({ dates, ...body }) => (dates === undefined ? body : { ...body, startDate: dates[0], endDate: dates[1] }));
  if (purpose === 'create') return fields;
  return fc.tuple(fields, fc.option(fc.constantFrom(...world.requestIds), { nil: undefined, freq: 4 })).map(([body, id]) => (id === undefined ? body : { ...body, id }));
}

/** A body of a workflow action: none, `{}`, `{comment}`, or a bare JSON string. */
export const actionBody: fc.Arbitrary<unknown> = fc.oneof(fc.record({ comment: fc.string({ maxLength: 100 }) }), fc.constant({}), fc.string({ maxLength: 50 }));

/** An expected expense. */
export const expenseBody: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    expenseType: fc.record({ id: fc.constantFrom('AIRFR', 'LODNG', 'x') }),
    transactionDate: date,
    transactionAmount: fc.record({ value: fc.double({ min: 0, max: 1e6, noNaN: true }), currency: fc.constantFrom('USD', 'EUR') }),
    businessPurpose: fc.string({ maxLength: 40 }),
    isPaymentCardRelated: fc.boolean(),
  },
  { requiredKeys: ['expenseType', 'transactionDate'] },
);

/** An ESS webhook subscription. */
export function subscriptionBody(world: FuzzWorld): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    id: fc.oneof(fc.constant(world.subscriptionId), fc.stringMatching(/^[a-z0-9.-]{1,20}$/)),
    topic: fc.constant('public.concur.request'),
    filter: fc.constantFrom('.*', 'statusChange\\..*', 'statusChange.APPROVED', 'statusChange\\.(APPROVED|SENTBACK)'),
    webHookConfig: fc.record({ endpoint: fc.constantFrom('https://subscriber.example.test/a', 'https://subscriber.example.test/b') }),
  });
}

/** The example body of a route that validates in code, or undefined. */
export function exampleBody(route: Route, world: FuzzWorld): fc.Arbitrary<unknown> | undefined {
  switch (`${route.method} ${route.path}`) {
    case 'POST /travelrequest/v4/requests':
      return requestBody(world, 'create');
    case 'PUT /travelrequest/v4/requests/:requestUuid':
      return requestBody(world, 'update');
    case 'POST /travelrequest/v4/requests/:requestUuid/:action':
      return actionBody;
    case 'POST /travelrequest/v4/requests/:requestUuid/expenses':
      return expenseBody;
    case 'PUT /events/v4/subscriptions/webhook':
    case 'PUT /v4/subscriptions/webhook':
      return subscriptionBody(world);
    default:
      return undefined;
  }
}
