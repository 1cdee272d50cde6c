/**
 * The demo that `npm start` brings up: a company, its connector administrator, a plain employee, a
 * platform operator, a safe list holding localhost, an OAuth2 application with a well-known client id
 * and secret, and a Request workflow (the employee's manager approves) on the default Request policy.
 * Idempotent: running it again changes nothing.
 */
import type { Store } from './store/store.ts';
import { addSafeListHost, createCompany, createUser, getCompany } from './companies/companies.ts';
import { createApplication } from './identity/applications.ts';
import { savePolicy, saveWorkflow, updateUserWorkflowFields } from './requests/workflow-admin.ts';

/** The demo's fixed identities, as the README gives them. */
export const DEMO = {
  companyId: '6c3b0a4e-52d8-4b41-9a0e-4f5e7a1d2c90',
  companyName: 'Demo Company',
  entityId: 'd0demo01',
  admin: { loginId: 'admin@demo.patchbay.dev', password: 'patchbay-demo', name: 'Dana Admin' },
  employee: { loginId: 'employee@demo.patchbay.dev', password: 'patchbay-demo', name: 'Eli Employee' },
  operator: { loginId: 'operator@patchbay.dev', password: 'patchbay-operator', name: 'Olive Operator' },
  application: {
    id: '2f6b7d0e-8c1a-4e5b-9f3d-1a2b3c4d5e6f',
    clientSecret: 'pbcs_demo-client-secret-do-not-use-in-production',
    name: 'Demo Partner App',
    redirectUri: 'http://localhost:3000/callback',
  },
} as const;

/** Creates the demo data if it is not there yet. */
export async function seedDemo(store: Store): Promise<void> {
  await store.transaction(async (trx) => {
    if (await getCompany(trx, DEMO.companyId)) return;
    await createCompany(trx, null, { id: DEMO.companyId, name: DEMO.companyName, edition: 'PROFESSIONAL', developmentPartner: true, entityId: DEMO.entityId });
    const admin = await createUser(trx, null, { companyId: DEMO.companyId, ...DEMO.admin, roles: ['WEB_SERVICES_ADMINISTRATOR', 'REQUEST_ADMIN', 'EMPLOYEE'] });
    const employee = await createUser(trx, null, { companyId: DEMO.companyId, ...DEMO.employee, roles: ['EMPLOYEE'] });
    await updateUserWorkflowFields(trx, null, DEMO.companyId, employee.id, { managerId: admin.id });
    const workflow = await saveWorkflow(trx, null, DEMO.companyId, {
      name: 'Standard Request Approval',
      approvedStepCode: 'REQAPPR',
      steps: [{ roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGRA' }],
    });
    await savePolicy(trx, null, DEMO.companyId, { name: 'Standard Travel Request', workflowId: workflow.id, isDefault: true });
    await createUser(trx, null, { companyId: null, ...DEMO.operator, roles: [] });
    await addSafeListHost(trx, null, DEMO.companyId, 'localhost');
    await createApplication(
      trx,
      null,
      {
        name: DEMO.application.name,
        grants: ['client_credentials', 'password', 'authorization_code', 'refresh_token'],
        scopes: ['events.topic.read', 'travelrequest.write', 'travelrequest.externalsystemworkflow.write'],
        redirectUris: [DEMO.application.redirectUri],
      },
      { id: DEMO.application.id, clientSecret: DEMO.application.clientSecret },
    );
  });
}
