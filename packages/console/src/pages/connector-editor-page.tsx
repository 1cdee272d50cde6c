// New / Modify application connector: System fields, Test Connection, Services, Deactivate, audit trail.
import { useEffect, useState } from 'react';
import { api, errorMessage, type Connector, type ConnectorFields, type Service, type TestConnectionResult } from '../api.ts';
import { CardForm, ConfirmDialog, ErrorBanner, FlagBadge, Loading, Notice, PageHeader, TextField, type Crumb } from '../components.tsx';
import { useConfirmation, useSubmission, type FieldErrors } from '../forms.ts';
import { navigate, paths } from '../router.tsx';
import { setFlash, useSession } from '../session.tsx';
import { ConfigureServiceDialog } from './configure-service-dialog.tsx';
import { AuditTrail, ServicesTable, TestResultBox, VerifiedIndicator } from './connector-parts.tsx';

type FieldName = keyof ConnectorFields;

const FIELD_NAMES: readonly FieldName[] = ['name', 'description', 'hostName', 'userName', 'password'];
const EMPTY: ConnectorFields = { name: '', description: '', hostName: '', userName: '', password: '' };

function fieldsOf(connector: Connector): ConnectorFields {
  return {
    name: connector.name,
    description: connector.description,
    hostName: connector.hostName,
    userName: connector.userName,
    password: '',
  };
}

/** Client-side checks matching the documented rules; the server checks again. */
function validate(fields: ConnectorFields, isNew: boolean): FieldErrors {
  const errors: FieldErrors = {};
  if (fields.name.trim() === '') errors['name'] = 'Enter the name that should appear in the list of connectors.';
  if (fields.description.trim() === '') errors['description'] = 'Enter a description, such as the back-end system it connects to.';
  const host = fields.hostName.trim();
  if (host === '') errors['hostName'] = 'Enter the host name, for example https://connector.example.com.';
  else if (!/^https:\/\/[^/\s]+\/?$/i.test(host)) {
    errors['hostName'] = 'The host name must be https:// followed by the host (and an optional :port), with no path.';
  }
  const userLength = fields.userName.length;
  if (userLength < 10 || userLength > 50) errors['userName'] = 'The user name must be 10 to 50 characters long.';
  const passwordLength = fields.password.length;
  if (isNew && passwordLength === 0) errors['password'] = 'Enter the password configured in the connector (10 to 50 characters).';
  else if (passwordLength > 0 && (passwordLength < 10 || passwordLength > 50)) {
    errors['password'] = 'The password must be 10 to 50 characters long.';
  }
  return errors;
}

/** New (connectorId null) and Modify pages of Application Connector Registration. */
export function ConnectorEditorPage({ companyId, connectorId }: { companyId: string; connectorId: string | null }) {
  const { session } = useSession();
  const [connector, setConnector] = useState<Connector | null>(null);
  const [fields, setFields] = useState<ConnectorFields>(EMPTY);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(connectorId !== null);
  const submission = useSubmission({ fields: FIELD_NAMES, checkBanner: 'Correct the highlighted fields.', fieldBanner: 'Correct the highlighted field.' });
  const errors = submission.fieldErrors;
  const [testResult, setTestResult] = useState<TestConnectionResult | null>(null);
  const [configuring, setConfiguring] = useState<Service | null>(null);
  const [auditVersion, setAuditVersion] = useState(0);
  const deactivation = useConfirmation(async () => {
    if (connector === null) return;
    const updated = await api.deactivateConnector(companyId, connector.id);
    setConnector(updated);
    submission.setNotice('Connector deactivated: all of its services are inactive.');
    setAuditVersion((v) => v + 1);
  });
  const busy = submission.busy || deactivation.busy;

  // Load the connector on Modify, unless we just created it here (New → Save switches to Modify).
  useEffect(() => {
    if (connectorId !== null && connector?.id === connectorId) return;
    // Another registration (or a fresh New): forget everything about the previous one.
    submission.clearErrors();
    submission.setNotice(null);
    setTestResult(null);
    setLoadError(null);
    setConfiguring(null);
    deactivation.cancel();
    if (connectorId === null) {
      setConnector(null);
      setFields(EMPTY);
      setLoading(false);
      return;
    }
    let current = true;
    setLoading(true);
    api.getConnector(companyId, connectorId).then(
      (loaded) => {
        if (!current) return;
        setConnector(loaded);
        setFields(fieldsOf(loaded));
        setLoading(false);
      },
      (cause: unknown) => {
        if (!current) return;
        setLoadError(errorMessage(cause));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
    // Only a change of the connector in the address reloads; `connector` is checked, not tracked.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [companyId, connectorId]);

  const isNew = connector === null;
  const listPath = paths.connectors(companyId);
  const crumbs: Crumb[] = [
    { label: 'Administration' },
    { label: 'Web Services', to: paths.webServices() },
    { label: 'Application Connector Registration', to: listPath },
  ];

  function setField(name: FieldName, value: string): void {
    setFields((current) => ({ ...current, [name]: value }));
    submission.clearFieldErrors([name]);
  }

  /** The System fields that differ from the saved connector (password only when typed). */
  function changedFields(saved: Connector): Partial<ConnectorFields> {
    const changes: Partial<ConnectorFields> = {};
    if (fields.name.trim() !== saved.name) changes.name = fields.name.trim();
    if (fields.description.trim() !== saved.description) changes.description = fields.description.trim();
    if (fields.hostName.trim() !== saved.hostName) changes.hostName = fields.hostName.trim();
    if (fields.userName !== saved.userName) changes.userName = fields.userName;
    if (fields.password !== '') changes.password = fields.password;
    return changes;
  }

  /** Creates (New) or updates (Modify) the System fields; returns the saved connector. */
  async function persistSystem(): Promise<Connector> {
    if (connector === null) {
      const created = await api.createConnector(companyId, {
        name: fields.name.trim(),
        description: fields.description.trim(),
        hostName: fields.hostName.trim(),
        userName: fields.userName,
        password: fields.password,
      });
      setConnector(created);
      setFields(fieldsOf(created));
      setAuditVersion((v) => v + 1);
      navigate(paths.connector(companyId, created.id), { replace: true });
      return created;
    }
    const changes = changedFields(connector);
    if (Object.keys(changes).length === 0) return connector;
    const updated = await api.updateConnector(companyId, connector.id, changes);
    setConnector(updated);
    setFields(fieldsOf(updated));
    setAuditVersion((v) => v + 1);
    return updated;
  }

  function save(): Promise<void> {
    const wasNew = isNew;
    return submission.submit(
      async () => {
        const saved = await persistSystem();
        if (wasNew) {
          submission.setNotice('Connector registered. Click Test Connection to verify it, then configure its services.');
        } else {
          setFlash(listPath, `Connector “${saved.name}” saved.`);
          navigate(listPath);
        }
      },
      { check: validate(fields, isNew), what: 'save' },
    );
  }

  function testConnection(): Promise<void> {
    setTestResult(null);
    return submission.submit(
      async () => {
        const saved = await persistSystem();
        const answer = await api.testConnection(companyId, saved.id);
        setConnector(answer.connector);
        setTestResult(answer.result);
        setAuditVersion((v) => v + 1);
      },
      { check: validate(fields, isNew), what: 'test' },
    );
  }

  if (loading) return <Loading what="connector" />;
  if (loadError !== null) {
    return (
      <section>
        <PageHeader title="Modify Application Connector" crumbs={crumbs} />
        <ErrorBanner message={loadError} />
      </section>
    );
  }

  const anyActive = connector?.services.some((service) => service.active) ?? false;
  const companyName = session.user.isOperator ? null : session.company?.name;

  return (
    <section>
      <PageHeader title={isNew ? 'New Application Connector' : 'Modify Application Connector'} crumbs={crumbs}>
        {connector !== null ? <FlagBadge on={connector.status === 'ACTIVE'} yes="Status: Active" no="Status: Inactive" /> : null}
      </PageHeader>
      {companyName ? <p className="context-line">Company: <strong>{companyName}</strong></p> : null}
      <div className="banner banner-info">
        Registrations cannot be deleted, only deactivated. To deactivate a connector, set all of its services to
        inactive: click <strong>Deactivate</strong>, or clear <strong>Active</strong> on each service.
      </div>
      <Notice message={submission.notice} />
      <ErrorBanner message={submission.error} />

      <CardForm aria-labelledby="system-heading" onSubmit={() => save()}>
        <div className="card-title-row">
          <h2 id="system-heading">System</h2>
          <VerifiedIndicator connector={connector} />
        </div>
        <div className="grid-2">
          <TextField label="Name" value={fields.name} onChange={(v) => setField('name', v)} error={errors['name']} required maxLength={200} />
          <TextField
            label="Description"
            value={fields.description}
            onChange={(v) => setField('description', v)}
            error={errors['description']}
            required
            hint="What the connector does, such as which back-end system it connects to."
          />
          <TextField
            label="Host Name"
            value={fields.hostName}
            onChange={(v) => setField('hostName', v)}
            error={errors['hostName']}
            required
            placeholder="https://{servername}"
            hint="Scheme and host, with an optional port: https://connector.example.com"
          />
          <div />
          <TextField
            label="User Name"
            value={fields.userName}
            onChange={(v) => setField('userName', v)}
            error={errors['userName']}
            required
            autoComplete="off"
            hint="The user name configured in the connector, 10 to 50 characters."
          />
          <TextField
            label="Password"
            type="password"
            value={fields.password}
            onChange={(v) => setField('password', v)}
            error={errors['password']}
            required={isNew}
            autoComplete="new-password"
            hint={
              isNew
                ? 'The password configured in the connector, 10 to 50 characters.'
                : 'Leave blank to keep the current password. Changing the user name or password requires a new Test Connection.'
            }
          />
        </div>
        <div className="actions">
          <button type="button" className="button" disabled={busy} onClick={() => void testConnection()}>
            {submission.pending === 'test' ? 'Testing…' : 'Test Connection'}
          </button>
          <span className="small muted">
            Calls <span className="mono">{(fields.hostName.trim() || 'https://{host name}').replace(/\/$/, '')}/system/v1.0/testconnection</span>
            {isNew ? '; registers the connector first.' : '; saves changed System fields first.'}
          </span>
        </div>
        {testResult !== null ? (
          <TestResultBox result={testResult} />
        ) : connector?.lastTest ? (
          <p className="small muted last-result">Last result: {connector.lastTest.message}</p>
        ) : null}
      </CardForm>

      <section className="card" aria-labelledby="services-heading">
        <h2 id="services-heading">Services</h2>
        <ServicesTable connector={connector} onConfigure={setConfiguring} />
      </section>

      <div className="action-bar">
        <button type="button" className="button button-primary" disabled={busy} onClick={() => void save()}>
          {submission.pending === 'save' ? 'Saving…' : 'Save'}
        </button>
        {connector !== null ? (
          <button
            type="button"
            className="button button-danger"
            disabled={busy || !anyActive}
            title={anyActive ? undefined : 'No service is active.'}
            onClick={() => deactivation.ask()}
          >
            Deactivate
          </button>
        ) : null}
        <button type="button" className="button" onClick={() => navigate(listPath)}>
          Cancel
        </button>
      </div>

      {connector !== null ? <AuditTrail companyId={companyId} connectorId={connector.id} version={auditVersion} /> : null}

      {configuring !== null && connector !== null ? (
        <ConfigureServiceDialog
          companyId={companyId}
          connector={connector}
          service={configuring}
          onClose={() => setConfiguring(null)}
          onSaved={(updated) => {
            setConnector(updated);
            setConfiguring(null);
            const saved = updated.services.find((service) => service.service === configuring.service);
            submission.setNotice(`${configuring.label} saved${saved !== undefined ? (saved.active ? ' (Active).' : ' (Inactive).') : '.'}`);
            setAuditVersion((v) => v + 1);
          }}
        />
      ) : null}

      {connector !== null ? (
        <ConfirmDialog confirmation={deactivation} title="Deactivate connector?" confirmLabel="Deactivate" busyLabel="Deactivating…" danger>
          {() => (
            <p>
              All services of <strong>{connector.name}</strong> will be set to inactive, and callouts will stop using it.
              The registration itself stays (registrations cannot be deleted); you can activate services again later.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
