/**
 * A tenant with one of everything, for the security suites: a Professional Development Partner company
 * whose administrator holds every role, a traveler and a manager, a safe-listed host, an application
 * connector with every service configured, attendee types, form fields (text, list, Launch URL), a
 * workflow, a policy, a travel agency, an approver group, delegates, a draft request (comment, attendee,
 * expected expense) and a submitted one, an OAuth2 application connected to the company with a webhook
 * subscription and a delivered event, a FAILED Event Notification and a call log entry. Everything is
 * made through the real APIs where a route exists; the notification and the call log row, which need a
 * live connector to arise, are written to the store directly. Names come from `name`, so that a suite
 * can give every user-controlled text a marker (or an XSS payload).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createApplication } from '../../src/identity/applications.ts';
import { ROLES } from '../../src/identity/principal.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import { appToken, connectCompany, subscribe, travelerAndManager, userToken, waitUntil, type Receiver } from '../support/ess-fixtures.ts';
import { requestApi } from '../support/request-fixtures.ts';
import type { Credentials, TestServer } from '../support/server.ts';

/** The scopes of a tenant's application: ESS, Request v4 and the external-system workflow. */
export const TENANT_APP_SCOPES = ['events.topic.read', 'travelrequest.write', 'travelrequest.externalsystemworkflow.write'] as const;

/** A person of a tenant. */
export interface Member extends Credentials {
  id: string;
  client: ApiClient;
}

/** Everything `buildTenant` made, by id and by name. */
export interface Tenant {
  label: string;
  companyId: string;
  companyName: string;
  entityId: string;
  /** Holds every role. */
  admin: Member;
  traveler: Member;
  manager: Member;
  safeHost: string;
  connector: { id: string; name: string; description: string; userName: string; password: string };
  attendeeType: { code: string; name: string };
  /** The attendee type bound to the connector's Fetch Attendee service. */
  connectorAttendeeType: { code: string; name: string };
  listName: string;
  formFields: { text: string; list: string; launch: string };
  workflow: { id: string; name: string };
  policy: { id: string; name: string };
  agency: { id: string; name: string };
  groupName: string;
  /** A request that was never submitted, with a comment, an attendee and an expected expense. */
  draft: { id: string; key: string; name: string; comment: string };
  /** A request submitted to the manager. */
  submitted: { id: string; key: string; name: string };
  attendee: { id: string; firstName: string; lastName: string };
  expenseId: string;
  app: { id: string; secret: string; name: string };
  subscription: { id: string; endpoint: string };
  deliveryId: number;
  notificationId: string;
  /** Access tokens of the application: app, company (connected), the admin's user token. */
  tokens: { app: string; company: string; user: string };
}

/** Options of `buildTenant`. */
export interface TenantOptions {
  /** The text of every user-controlled name and description (`what` says which). Defaults to readable, unique names. */
  name?: (what: string) => string;
  /** Where the tenant's subscription delivers (an acknowledging receiver). */
  receiver: Receiver;
}

/** A person's id from the store. */
async function userId(server: TestServer, loginId: string): Promise<string> {
  return (await server.patchbay.store.db.selectFrom('users').select('id').where('login_id', '=', loginId.toLowerCase()).executeTakeFirstOrThrow()).id;
}

function created(answer: { status: number; body: any }, what: string, status = [200, 201]): any {
  assert.ok(status.includes(answer.status), `${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Builds one tenant on `server` (whose env must allow http webhooks for the receiver). */
export async function buildTenant(server: TestServer, label: string, options: TenantOptions): Promise<Tenant> {
  const tag = randomUUID().slice(0, 8);
  const name = options.name ?? ((what: string) => `${label} ${what} ${tag}`);
  const { store } = server.patchbay;
  const operator = await signIn(server.url, server.operator);

  const company = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: [...ROLES] });
  const companyId = company.companyId;
  const path = `/api/companies/${companyId}`;
  const renamed = created(await operator.patch(path, { name: name('company').slice(0, 100) }), 'rename company');
  const adminClient = await signIn(server.url, company.user);
  const admin: Member = { ...company.user, id: await userId(server, company.user.loginId), client: adminClient };
  const people = await travelerAndManager(server, companyId);
  const traveler: Member = { ...people.traveler, id: await userId(server, people.traveler.loginId), client: await signIn(server.url, people.traveler) };
  const manager: Member = { ...people.manager, id: await userId(server, people.manager.loginId), client: await signIn(server.url, people.manager) };

  const safeHost = `${label.toLowerCase()}-${tag}.connector.example.test`;
  created(await operator.post(`${path}/safe-list`, { host: safeHost }), 'safe list');

  const connectorInput = {
    name: name('connector').slice(0, 100),
    description: name('connector description').slice(0, 1000),
    hostName: `https://${safeHost}`,
    userName: `${label}-user-${tag}`.padEnd(10, 'x').slice(0, 50),
    password: `${label}-Pw-${randomUUID()}`.slice(0, 50),
  };
  const connector = created(await adminClient.post(`${path}/connectors`, connectorInput), 'connector');

  const attendeeType = { code: `M${tag.slice(0, 6)}`.toUpperCase(), name: name('attendee type').slice(0, 64) };
  const connectorAttendeeType = { code: `C${tag.slice(0, 6)}`.toUpperCase(), name: name('connector attendee type').slice(0, 64) };
  for (const type of [attendeeType, connectorAttendeeType]) {
    created(await adminClient.put(`${path}/attendee-types/${type.code}`, { name: type.name, allowsManual: true }), 'attendee type');
  }

  const workflow = created(
    await adminClient.post(`${path}/workflows`, {
      name: name('workflow').slice(0, 100),
      approvedStepCode: 'REQAPPR',
      steps: [{ roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGRA' }],
    }),
    'workflow',
  );
  const policy = created(await adminClient.post(`${path}/request-policies`, { name: name('policy').slice(0, 100), workflowId: workflow.id, isDefault: false }), 'policy');
  const agency = created(await adminClient.post(`${path}/travel-agencies`, { name: name('travel agency').slice(0, 100), emailAddress: `agency-${tag}@example.test` }), 'travel agency');
  const groupName = `${label} Group ${tag}`;
  created(await adminClient.put(`${path}/approver-groups/${encodeURIComponent(groupName)}`, { userIds: [manager.id] }), 'approver group');
  created(await adminClient.put(`${path}/users/${manager.id}/delegates`, { delegateIds: [admin.id] }), 'delegates');

  const application = await store.transaction((trx) =>
    createApplication(trx, null, { name: name('application').slice(0, 100), grants: ['client_credentials', 'password', 'authorization_code', 'refresh_token'], scopes: [...TENANT_APP_SCOPES], redirectUris: [] }),
  );
  const app = { id: application.application.id, secret: application.clientSecret, name: application.application.name };

  const listName = name('list').slice(0, 64);
  const connectorPath = `${path}/connectors/${connector.id}/services`;
  created(await adminClient.put(`${connectorPath}/fetch-attendee`, { endpoint: '/attendee/v2.0/fetch', active: true, settings: { attendeeTypes: [connectorAttendeeType.code] } }), 'fetch attendee');
  created(await adminClient.put(`${connectorPath}/fetch-list`, { endpoint: '/list/v1.2/fetch', active: true, settings: { lists: [{ name: listName, category: 'Category', languageCode: 'en', connectedListLevel: null }] } }), 'fetch list');
  created(await adminClient.put(`${connectorPath}/external-report-validation`, { endpoint: '/notify', active: true, settings: { workflows: [{ workflowId: workflow.id, steps: ['SUBMIT'] }] } }), 'external report validation');
  created(await adminClient.put(`${connectorPath}/send-notification`, { endpoint: '/notify', active: false, settings: { workflows: [] } }), 'send notification');
  created(await adminClient.put(`${connectorPath}/launch-external-url`, { endpoint: '/leu', active: true, settings: { version: 'V4', clientId: app.id, redirectUrl: '' } }), 'launch external url');

  const formFields = { text: name('text field').slice(0, 64), list: name('list field').slice(0, 64), launch: name('launch field').slice(0, 64) };
  created(await adminClient.put(`${path}/form-fields/custom1`, { label: formFields.text, kind: 'TEXT' }), 'text field');
  created(await adminClient.put(`${path}/form-fields/custom2`, { label: formFields.list, kind: 'LIST', connectorId: connector.id, listName }), 'list field');
  created(await adminClient.put(`${path}/form-fields/custom3`, { label: formFields.launch, kind: 'LAUNCH_URL', connectorId: connector.id }), 'launch field');

  // The ESS side: a subscription, then the connection (events reach it from then on).
  const subscriptionId = `${label.toLowerCase()}-sub-${tag}`;
  const endpoint = options.receiver.url(`/${label.toLowerCase()}/${tag}`);
  await subscribe(server.url, app, { id: subscriptionId, endpoint });
  const companyToken = await connectCompany(server.url, company.user, companyId, app);

  const draftName = name('draft request').slice(0, 255);
  const comment = name('request comment').slice(0, 2000);
  const draft = created(await traveler.client.post(`${path}/requests`, { name: draftName, businessPurpose: name('business purpose').slice(0, 255), comment, custom1: { value: name('custom1 value').slice(0, 500) } }), 'draft request');
  const attendee = { firstName: name('attendee first').slice(0, 50), lastName: name('attendee last').slice(0, 132) };
  const attendeeRow = created(await traveler.client.post(`${path}/requests/${draft.id}/attendees`, { attendeeTypeCode: attendeeType.code, ...attendee }), 'attendee');
  const travelerApi = requestApi(server.url, await userToken(server.url, app, traveler));
  const expense = await travelerApi.addExpense(draft.id, { expenseType: { id: 'TAXI' }, transactionDate: '2031-01-01' });
  assert.equal(expense.status, 201, expense.text);

  const submittedName = name('submitted request').slice(0, 255);
  const submitted = created(await traveler.client.post(`${path}/requests`, { name: submittedName, businessPurpose: 'Visit' }), 'submitted request');
  created(await traveler.client.post(`${path}/requests/${submitted.id}/submit`, {}), 'submit');

  const now = Date.now();
  const notificationId = randomUUID();
  await store.db
    .insertInto('notifications')
    .values({
      id: notificationId, company_id: companyId, connector_id: connector.id, service: 'external-report-validation', request_id: submitted.id,
      event_type: 'SUBMIT', object_type: 'TRAVELREQ', object_uri: `${server.url}/travelrequest/v4/requests/${submitted.id}`, context: null,
      status: 'FAILED', attempts: 8, next_attempt_at: now, lease_owner: null, lease_expires_at: null, last_error: `${label} connector failed`, created_at: now, failed_at: now,
    })
    .execute();
  await store.db
    .insertInto('callout_log')
    .values({
      company_id: companyId, connector_id: connector.id, service: 'fetch-attendee', method: 'POST', url: `https://${safeHost}/attendee/v2.0/fetch`, started_at: now,
      duration_ms: 12, outcome: 'ok', http_status: 200, message: name('call log message').slice(0, 200), request_excerpt: '<AttendeeSearchRequest/>', response_excerpt: '<AttendeeSearchResponse/>',
    })
    .execute();

  // The submit published an event; wait until its delivery is acknowledged, so that no background
  // work changes the tenant's rows while a suite compares them.
  const deliveryRows = () => store.db.selectFrom('deliveries').select(['id', 'status']).where('subscription_id', '=', subscriptionId).execute();
  await waitUntil(async () => (await deliveryRows()).some((row) => row.status === 'DELIVERED'), async () => `deliveries of ${subscriptionId}: ${JSON.stringify(await deliveryRows())}`);
  const deliveryId = Number((await deliveryRows())[0]!.id);

  return {
    label,
    companyId,
    companyName: renamed.name,
    entityId: renamed.entityId,
    admin,
    traveler,
    manager,
    safeHost,
    connector: { id: connector.id, name: connectorInput.name, description: connectorInput.description, userName: connectorInput.userName, password: connectorInput.password },
    attendeeType,
    connectorAttendeeType,
    listName,
    formFields,
    workflow: { id: workflow.id, name: workflow.name },
    policy: { id: policy.id, name: policy.name },
    agency: { id: agency.id, name: agency.name },
    groupName,
    draft: { id: draft.id, key: draft.requestId, name: draftName, comment },
    submitted: { id: submitted.id, key: submitted.requestId, name: submittedName },
    attendee: { id: attendeeRow.id, ...attendee },
    expenseId: expense.body.id,
    app,
    subscription: { id: subscriptionId, endpoint },
    deliveryId,
    notificationId,
    tokens: { app: await appToken(server.url, app), company: companyToken, user: await userToken(server.url, app, company.user) },
  };
}

/**
 * The tenant's identifiers and names that nobody outside it may learn: ids, names, login IDs,
 * descriptions, endpoints and secrets. Short codes (request keys, attendee type codes) are left out,
 * since they could occur by chance in any text.
 */
export function secretsOf(tenant: Tenant): string[] {
  const values = [
    tenant.companyId, tenant.companyName, tenant.entityId, tenant.admin.id, tenant.admin.loginId, tenant.traveler.id, tenant.traveler.loginId,
    tenant.manager.id, tenant.manager.loginId, tenant.safeHost, tenant.connector.id, tenant.connector.name, tenant.connector.description,
    tenant.connector.userName, tenant.connector.password, tenant.attendeeType.name, tenant.connectorAttendeeType.name, tenant.listName,
    tenant.formFields.text, tenant.formFields.list, tenant.formFields.launch, tenant.workflow.id, tenant.workflow.name, tenant.policy.id,
    tenant.policy.name, tenant.agency.id, tenant.agency.name, tenant.groupName, tenant.draft.id, tenant.draft.name, tenant.draft.comment,
    tenant.submitted.id, tenant.submitted.name, tenant.attendee.id, tenant.attendee.firstName, tenant.attendee.lastName, tenant.expenseId,
    tenant.app.secret, tenant.subscription.id, tenant.subscription.endpoint, tenant.notificationId,
  ];
  return [...new Set(values.filter((value) => value.length >= 8))];
}

/** The tenant's row ids (UUIDs and 32-hex ids), which its rows in the store mention. */
export function rowIdsOf(tenant: Tenant): string[] {
  return [
    tenant.companyId, tenant.admin.id, tenant.traveler.id, tenant.manager.id, tenant.connector.id, tenant.workflow.id, tenant.policy.id,
    tenant.agency.id, tenant.draft.id, tenant.submitted.id, tenant.attendee.id, tenant.expenseId, tenant.notificationId, tenant.subscription.id,
  ];
}

/**
 * A stand-in tenant for calls whose outcome is decided before any resource is looked up (permission
 * checks): the real company id, made-up ids of the right shapes for everything else.
 */
export function phantomTenant(companyId: string): Tenant {
  const uuid = () => randomUUID();
  const hex = () => randomUUID().replaceAll('-', '').toUpperCase();
  const member = (): Member => ({ id: uuid(), loginId: `${uuid()}@example.test`, password: 'not-a-password', client: undefined as unknown as ApiClient });
  return {
    label: 'phantom', companyId, companyName: 'phantom', entityId: 'pphantom', admin: member(), traveler: member(), manager: member(), safeHost: 'phantom.example.test',
    connector: { id: uuid(), name: 'Phantom', description: '', userName: 'phantom-user', password: 'phantom-password' },
    attendeeType: { code: 'PHANTOM', name: 'Phantom' }, connectorAttendeeType: { code: 'PHANTOMC', name: 'Phantom' }, listName: 'Phantom list',
    formFields: { text: 'Phantom', list: 'Phantom', launch: 'Phantom' }, workflow: { id: uuid(), name: 'Phantom' }, policy: { id: hex(), name: 'Phantom' },
    agency: { id: hex(), name: 'Phantom' }, groupName: 'Phantom', draft: { id: hex(), key: 'PHAN', name: 'Phantom', comment: '' },
    submitted: { id: hex(), key: 'PHAM', name: 'Phantom' }, attendee: { id: uuid(), firstName: 'Phantom', lastName: 'Phantom' }, expenseId: hex(),
    app: { id: uuid(), secret: 'phantom', name: 'Phantom' }, subscription: { id: `phantom-${uuid()}`, endpoint: 'https://phantom.example.test/' },
    deliveryId: 999_999_999, notificationId: uuid(), tokens: { app: '', company: '', user: '' },
  };
}
