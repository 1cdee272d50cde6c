// Administration > Web Services: Company Request Token (connects the company to a partner application)
// and App Connections (the applications the company is connected to, with Disconnect).
import { useState } from 'react';
import { ApiError, api, errorMessage, type Connection, type RequestToken } from '../api.ts';
import {
  ConfirmDialog,
  CopyField,
  DateTime,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
  TextField,
  useLoader,
  type Crumb, CardForm } from '../components.tsx';
import { Link, paths } from '../router.tsx';
import { useSession } from '../session.tsx';

const CRUMBS: Crumb[] = [{ label: 'Administration' }, { label: 'Web Services', to: paths.webServices() }];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "Company: Name · Company UUID …", with a way back to the company picker for operators. */
export function CompanyLine({ companyId, picker }: { companyId: string; picker: string }) {
  const { session } = useSession();
  const operator = session.user.isOperator;
  const companies = useLoader(`companies:${operator}`, () => (operator ? api.listCompanies() : Promise.resolve([])));
  const name = operator
    ? (companies.data?.find((company) => company.id === companyId)?.name ?? null)
    : session.company?.id === companyId
      ? session.company.name
      : null;
  return (
    <p className="context-line">
      {name !== null ? (
        <>
          Company: <strong>{name}</strong> ·{' '}
        </>
      ) : null}
      Company UUID: <span className="mono">{companyId}</span>
      {operator ? (
        <>
          {' '}
          · <Link to={picker}>Choose another company</Link>
        </>
      ) : null}
    </p>
  );
}

/** Company Request Token: enter an App ID, Submit, and hand the single-use token to the partner. */
export function CompanyRequestTokenPage({ companyId }: { companyId: string }) {
  const [appId, setAppId] = useState('');
  const [appIdError, setAppIdError] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [token, setToken] = useState<RequestToken | null>(null);

  async function submit(): Promise<void> {
    setError(null);
    setAppIdError(undefined);
    const id = appId.trim();
    if (id === '') {
      setAppIdError('Enter the App ID: the client ID of the partner application.');
      return;
    }
    if (!UUID.test(id)) {
      setAppIdError('An App ID is a UUID, such as 0f8fad5b-d9cb-469f-a165-70867728950e.');
      return;
    }
    setBusy(true);
    setToken(null);
    try {
      setToken(await api.createRequestToken(companyId, id.toLowerCase()));
    } catch (cause) {
      if (cause instanceof ApiError && cause.field === 'appId') setAppIdError(cause.message);
      else setError(errorMessage(cause));
    } finally {
      setBusy(false);
    }
  }

  const tokenUrl = `${window.location.origin}/oauth2/v0/token`;
  return (
    <section>
      <PageHeader title="Company Request Token" crumbs={CRUMBS} />
      <CompanyLine companyId={companyId} picker={paths.requestTokenPicker()} />
      <ErrorBanner message={error} />
      <CardForm aria-label="Company Request Token" onSubmit={() => submit()}>
        <p>
          A partner application connects to this company with a Company Request Token. Enter the partner’s App ID (the
          client ID of its application) and click <strong>Submit</strong>.
        </p>
        <div className="inline-form">
          <TextField
            label="App ID"
            value={appId}
            onChange={(value) => {
              setAppId(value);
              setAppIdError(undefined);
            }}
            error={appIdError}
            required
            autoComplete="off"
            placeholder="00000000-0000-0000-0000-000000000000"
            className="field-wide"
          />
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Submitting…' : 'Submit'}
          </button>
        </div>
      </CardForm>
      {token !== null ? (
        <section className="card" aria-labelledby="request-token-heading">
          <h2 id="request-token-heading">Request token created</h2>
          <Notice message="Give the request token and the company UUID to the partner. The token is shown only here: if it is lost or expires, submit the App ID again for a new one." tone="info" />
          <div className="copy-fields">
            <CopyField label="Request Token" value={token.requestToken} />
            <CopyField label="Company UUID" value={token.companyId} />
          </div>
          <dl className="facts">
            <dt>App ID</dt>
            <dd className="mono">{token.appId}</dd>
            <dt>Expires</dt>
            <dd>
              <DateTime value={token.expiresAt} /> <span className="muted">(single use, valid for 24 hours)</span>
            </dd>
          </dl>
          <h3>How the partner exchanges it</h3>
          <p>
            The partner sends <span className="mono">POST {tokenUrl}</span> with a form body
            (<span className="mono">application/x-www-form-urlencoded</span>). The answer holds the company’s access and
            refresh tokens, and the application then appears under{' '}
            <Link to={paths.connections(companyId)}>App Connections</Link>.
          </p>
          <table className="table table-compact" aria-label="Token request parameters">
            <thead>
              <tr>
                <th scope="col">Parameter</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {[
                ['grant_type', 'password'],
                ['credtype', 'authtoken'],
                ['client_id', token.appId],
                ['client_secret', '(the application’s client secret)'],
                ['username', `${token.companyId} (the company UUID)`],
                ['password', '(the request token)'],
              ].map(([name, value]) => (
                <tr key={name}>
                  <th scope="row" className="mono">
                    {name}
                  </th>
                  <td className="mono">{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </section>
  );
}

/** App Connections: the applications connected to the company, with Disconnect. */
export function AppConnectionsPage({ companyId }: { companyId: string }) {
  const connections = useLoader<Connection[]>(`connections:${companyId}`, () => api.listConnections(companyId));
  const [notice, setNotice] = useState<string | null>(null);
  const [disconnecting, setDisconnecting] = useState<Connection | null>(null);
  const [busy, setBusy] = useState(false);
  const [disconnectError, setDisconnectError] = useState<string | null>(null);

  async function disconnect(connection: Connection): Promise<void> {
    setBusy(true);
    setDisconnectError(null);
    try {
      await api.disconnectApplication(companyId, connection.appId);
      setDisconnecting(null);
      setNotice(`${connection.appName} disconnected. Its company tokens no longer work.`);
      connections.reload();
    } catch (cause) {
      setDisconnectError(errorMessage(cause));
    } finally {
      setBusy(false);
    }
  }

  const items = connections.data ?? [];
  return (
    <section>
      <PageHeader title="App Connections" crumbs={CRUMBS} />
      <CompanyLine companyId={companyId} picker={paths.connectionsPicker()} />
      <Notice message={notice} />
      <ErrorBanner message={connections.error} />
      <div className="card">
        <p>
          Partner applications connected to this company with a{' '}
          <Link to={paths.requestToken(companyId)}>Company Request Token</Link>. Disconnecting an application stops its
          company tokens at once.
        </p>
        {connections.loading && connections.data === undefined ? <Loading what="connections" /> : null}
        {connections.data !== undefined ? (
          <table className="table" aria-label="App connections">
            <thead>
              <tr>
                <th scope="col">Application</th>
                <th scope="col">App ID</th>
                <th scope="col">Connected</th>
                <th scope="col">Connected By</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 ? (
                <tr>
                  <td colSpan={5} className="empty">
                    No applications are connected to this company.
                  </td>
                </tr>
              ) : null}
              {items.map((connection) => (
                <tr key={connection.appId}>
                  <th scope="row">{connection.appName}</th>
                  <td className="mono nowrap">{connection.appId}</td>
                  <td>
                    <DateTime value={connection.connectedAt} />
                  </td>
                  <td>{connection.connectedBy}</td>
                  <td>
                    <button
                      type="button"
                      className="button button-small button-danger"
                      aria-label={`Disconnect ${connection.appName}`}
                      onClick={() => {
                        setDisconnectError(null);
                        setDisconnecting(connection);
                      }}
                    >
                      Disconnect
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      {disconnecting !== null ? (
        <ConfirmDialog
          title="Disconnect application?"
          confirmLabel={busy ? 'Disconnecting…' : 'Disconnect'}
          danger
          busy={busy}
          error={disconnectError}
          onCancel={() => setDisconnecting(null)}
          onConfirm={() => void disconnect(disconnecting)}
        >
          <p>
            <strong>{disconnecting.appName}</strong> will be disconnected from this company: the app’s company tokens stop
            working at once, its refresh tokens are revoked, and it needs a new Company Request Token to connect again.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
