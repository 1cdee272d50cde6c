/**
 * The demo's application connector: the sample connector (`examples/sample-connector`) run in-process over
 * HTTPS, with a development CA generated once in the data directory and trusted through the outbound
 * clients' extra CA. On every start it is registered (or its host updated), passes Test Connection, has its
 * four services configured, and the demo company gets attendee types, a list field, a Launch URL field and
 * a "Budget-checked travel" policy whose first step is the connector's external validation: a newcomer sees
 * all four callouts working in the console at once.
 */
import path from 'node:path';
import { createSampleConnector, ensureDevCertificates } from '@patchbay/sample-connector';
import type { Config } from './config.ts';
import type { Store } from './store/store.ts';
import type { SecretBox } from './security/secret-box.ts';
import type { OutboundClient } from './connectors/outbound-client.ts';
import { configureService, modifyConnector, registerConnector, testConnectorConnection, type RegistryDeps } from './connectors/connectors.ts';
import { getCompany } from './companies/companies.ts';
import { getApplication, updateApplication } from './identity/applications.ts';
import { createRequestToken } from './identity/oauth.ts';
import type { Principal } from './identity/principal.ts';
import { saveAttendeeType } from './callouts/attendee-types.ts';
import { saveFormField } from './callouts/form-fields.ts';
import { savePolicy, saveWorkflow } from './requests/workflow-admin.ts';
import { DEMO } from './demo.ts';

/** The sample connector's registration in the demo. */
export const DEMO_CONNECTOR = {
  name: 'Sample connector',
  description: 'The sample connector of examples/sample-connector: attendees, destinations, a budget check and a cost-object picker.',
  userName: 'sample-connector-user',
  password: 'sample-connector-password',
  /** The Redirect URL of its Launch External URL service (registered with the demo application). */
  redirectUri: 'https://localhost/sample-connector/oauth-redirect',
  workflowName: 'Budget-checked Request',
  policyName: 'Budget-checked travel',
  budgetLimit: 5_000,
} as const;

/** The development CA and the connector's certificate, generated once under the data directory. */
export async function demoCertificates(config: Config): Promise<{ caCert: string; cert: string; key: string }> {
  return ensureDevCertificates(path.join(config.dataDir, 'dev-ca'));
}

/** What the demo connector needs from the running patchbay. */
export interface DemoConnectorDeps {
  config: Config;
  store: Store;
  secrets: SecretBox;
  outbound: OutboundClient;
  certificates: { cert: string; key: string };
  log: { info(details: object, message: string): void; warn(details: object, message: string): void };
}

/** Starts the sample connector and wires it into the demo company; `close` stops it. */
export async function startDemoConnector(deps: DemoConnectorDeps): Promise<{ url: string; close(): Promise<void> }> {
  const { config, store } = deps;
  const company = await getCompany(store.db, DEMO.companyId);
  if (!company) throw new Error('The demo company is missing; seed the demo first.');
  const admin = await store.db.selectFrom('users').selectAll().where('login_id', '=', DEMO.admin.loginId).executeTakeFirstOrThrow();
  const actor: Principal = { userId: admin.id, loginId: admin.login_id, name: admin.name, companyId: DEMO.companyId, isOperator: false, roles: JSON.parse(admin.roles) as Principal['roles'], via: 'session', csrfToken: null };

  // The demo application must know the Redirect URL the connector's code exchange presents.
  const application = await getApplication(store.db, DEMO.application.id);
  if (!application.redirectUris.includes(DEMO_CONNECTOR.redirectUri)) {
    await updateApplication(store.db, actor, application.id, { redirectUris: [...application.redirectUris, DEMO_CONNECTOR.redirectUri] });
  }
  // A Company Request Token lets the connector get the company token it approves and sends back with.
  const { requestToken } = await createRequestToken(store.db, actor, DEMO.companyId, DEMO.application.id);

  const sample = createSampleConnector({
    credentials: { userName: DEMO_CONNECTOR.userName, password: DEMO_CONNECTOR.password },
    tls: deps.certificates,
    patchbay: {
      baseUrl: config.publicUrl,
      clientId: DEMO.application.id,
      clientSecret: DEMO.application.clientSecret,
      redirectUri: DEMO_CONNECTOR.redirectUri,
      companyId: DEMO.companyId,
      companyRequestToken: requestToken,
    },
    budgetLimit: DEMO_CONNECTOR.budgetLimit,
  });
  const address = await sample.listen(config.port === 0 ? 0 : config.port + 1, '127.0.0.1');
  const hostName = `https://localhost:${address.port}`;
  try {
    await wireDemoConnector({ store, secrets: deps.secrets, outbound: deps.outbound }, actor, company, hostName);
  } catch (error) {
    await sample.close();
    throw error;
  }
  deps.log.info({ url: hostName }, 'demo: the sample connector is registered, verified and serves all four callouts');
  return { url: hostName, close: () => sample.close() };
}

/** Registers (or re-points) the connector, tests it, and configures its services and the demo's fields. */
async function wireDemoConnector(deps: RegistryDeps, actor: Principal, company: NonNullable<Awaited<ReturnType<typeof getCompany>>>, hostName: string): Promise<void> {
  const { store } = deps;
  const existing = await store.db.selectFrom('connectors').select(['id', 'host_name']).where('company_id', '=', company.id).where('name', '=', DEMO_CONNECTOR.name).executeTakeFirst();
  const connectorId = existing
    ? (existing.host_name === hostName ? existing.id : (await modifyConnector(deps, actor, company, existing.id, { hostName })).id)
    : (await registerConnector(deps, actor, company, { name: DEMO_CONNECTOR.name, description: DEMO_CONNECTOR.description, hostName, userName: DEMO_CONNECTOR.userName, password: DEMO_CONNECTOR.password })).id;
  const tested = await testConnectorConnection(deps, actor, company, connectorId);
  if (!tested.result.ok) throw new Error(`The demo's sample connector failed Test Connection: ${tested.result.message}`);

  const workflowId = await store.transaction(async (trx) => {
    for (const [code, name, allowsManual] of [['BUSGUEST', 'Business guest', false], ['HCP', 'Healthcare professional', false], ['SPOUSE', 'Spouse', true]] as const) {
      const type = await trx.selectFrom('attendee_types').select('code').where('company_id', '=', company.id).where('code', '=', code).executeTakeFirst();
      if (!type) await saveAttendeeType(trx, actor, company.id, { code, name, allowsManual });
    }
    const workflow = await trx.selectFrom('workflows').select('id').where('company_id', '=', company.id).where('name', '=', DEMO_CONNECTOR.workflowName).executeTakeFirst();
    if (workflow) return workflow.id;
    const created = await saveWorkflow(trx, actor, company.id, {
      name: DEMO_CONNECTOR.workflowName,
      approvedStepCode: 'REQAPPR',
      steps: [
        { roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId, notify: true, stepCode: null },
        { roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGRA' },
      ],
    });
    await savePolicy(trx, actor, company.id, { name: DEMO_CONNECTOR.policyName, workflowId: created.id, isDefault: false });
    return created.id;
  });

  await configureService(deps, actor, company, connectorId, 'fetch-attendee', { endpoint: '/attendee/v2.0/find', active: true, settings: { attendeeTypes: ['BUSGUEST', 'HCP'] } });
  await configureService(deps, actor, company, connectorId, 'fetch-list', {
    endpoint: '/list/v1.2/fetch',
    active: true,
    settings: { lists: [{ name: 'Destinations', category: 'Locations', languageCode: 'en', connectedListLevel: 3, externalThreshold: 1 }] },
  });
  await configureService(deps, actor, company, connectorId, 'external-report-validation', { endpoint: '/concur/v1.0/notify', active: true, settings: { workflows: [{ workflowId, steps: ['SUBMIT'] }] } });
  await configureService(deps, actor, company, connectorId, 'launch-external-url', {
    endpoint: '/request/launchexternalurl/v4/form',
    active: true,
    settings: { version: 'V4', clientId: DEMO.application.id, redirectUrl: DEMO_CONNECTOR.redirectUri },
  });
  await store.transaction(async (trx) => {
    await saveFormField(trx, actor, company.id, 'custom1', { label: 'Destination', kind: 'LIST', connectorId, listName: 'Destinations' });
    await saveFormField(trx, actor, company.id, 'custom2', { label: 'Cost object', kind: 'LAUNCH_URL', connectorId, popupWidth: 640, popupHeight: 560 });
  });
}
