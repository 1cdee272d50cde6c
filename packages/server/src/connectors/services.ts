/**
 * The services (callouts and outbound messages) a connector can be configured for, as the seed lists
 * them, each with the settings its Configure Service window holds.
 */
import { Type, type Static, type TSchema } from 'typebox';

const text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

/** Fetch Attendee: the attendee types that search through this connector. */
const FetchAttendeeSettings = Type.Object(
  { attendeeTypes: Type.Array(text(64), { maxItems: 100, uniqueItems: true }) },
  { additionalProperties: false },
);

/** Fetch List: the configured lists (List Name, List Category, Language Code, Connected List Level). */
const FetchListSettings = Type.Object(
  {
    lists: Type.Array(
      Type.Object(
        {
          name: text(64),
          category: text(64),
          languageCode: Type.String({ pattern: '^[a-z]{2}(-[A-Za-z]{2})?$', maxLength: 5 }),
          connectedListLevel: Type.Union([Type.Integer({ minimum: 1, maximum: 10 }), Type.Null()]),
          // Lists v3/v4's ExternalThreshold: the level from which the list is fetched from the connector.
          // patchbay keeps no list items of its own, so every level comes from the connector.
          externalThreshold: Type.Optional(Type.Literal(1, { description: 'Every level of the list is fetched from the connector (patchbay keeps no list items itself).' })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);

/** Send Notification / External Report Validation: per workflow, the steps that notify. */
const NotificationSettings = Type.Object(
  {
    workflows: Type.Array(
      Type.Object(
        {
          workflowId: text(64),
          steps: Type.Array(Type.Union([Type.Literal('SUBMIT'), Type.Literal('PRE_EXTRACT')]), { minItems: 1, maxItems: 2, uniqueItems: true }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);

/** Launch External URL: Service Version, Client ID and Redirect URL. */
const LaunchExternalUrlSettings = Type.Union([
  Type.Object({}, { additionalProperties: false }),
  Type.Object(
    {
      version: Type.Union([Type.Literal('V1'), Type.Literal('V4')]),
      clientId: Type.String({ maxLength: 128 }),
      redirectUrl: Type.Union([Type.Literal(''), Type.String({ pattern: '^https://[^\\s]+$', maxLength: 2048 })]),
    },
    { additionalProperties: false },
  ),
]);

/** Every service, keyed by the id used in URLs and JSON, with its label and settings schema. */
export const SERVICES = {
  'fetch-attendee': { label: 'Fetch Attendee', settings: FetchAttendeeSettings, empty: { attendeeTypes: [] } },
  'fetch-list': { label: 'Fetch List', settings: FetchListSettings, empty: { lists: [] } },
  'send-notification': { label: 'Send Notification', settings: NotificationSettings, empty: { workflows: [] } },
  'external-report-validation': { label: 'External Report Validation', settings: NotificationSettings, empty: { workflows: [] } },
  'launch-external-url': { label: 'Launch External URL', settings: LaunchExternalUrlSettings, empty: {} },
} as const satisfies Record<string, { label: string; settings: TSchema; empty: object }>;

/** A service id: `fetch-attendee`, `fetch-list`, `send-notification`, `external-report-validation` or `launch-external-url`. */
export type ServiceId = keyof typeof SERVICES;

/** The service ids in the order the console lists them. */
export const SERVICE_IDS = Object.keys(SERVICES) as ServiceId[];

/** One list configured on a Fetch List service. */
export type FetchListConfig = Static<typeof FetchListSettings>['lists'][number];

/** The settings of one service. */
export type ServiceSettings<S extends ServiceId> = Static<(typeof SERVICES)[S]['settings']>;
