// Administration > Web Services: Company Request Token (connects the company to a partner application)
// and App Connections (the applications the company is connected to, with Disconnect).
import { useState } from 'react';
import { api, type Connection, type RequestToken } from '../api.ts';
import {
  ACTIONS,
  CardForm,
  CompanyFrame,
  ConfirmDialog,
  CopyField,
  DataTable,
  DateTime,
  ErrorBanner,
  Loading,
  Notice,
  TextField,
  WEB_SERVICES_CRUMBS,
  useLoader,
} from '../components.tsx';
import { useConfirmation, useSubmission, type FieldErrors } from '../forms.ts';
import { Link, paths } from '../router.tsx';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Company Request Token: enter an App ID, Submit, and hand the single-use token to the partner. */
export function CompanyRequestTokenPage({ companyId }: { companyId: string }) {
  const [appId, setAppId] = useState('');
  const [token, setToken] = useState<RequestToken | null>(null);
  const submission = useSubmission({ fields: ['appId'] });

  function submit(): Promise<void> {
    const id = appId.trim();
    const check: FieldErrors =
      id === ''
        ? { appId: 'Enter the App ID: the client ID of the partner application.' }
        : !UUID.test(id)
          ? { appId: 'An App ID is a UUID, such as 0f8fad5b-d9cb-469f-a165-70867728950e.' }
          : {};
    return submission.submit(
      async () => {
        setToken(null);
        setToken(await api.createRequestToken(companyId, id.toLowerCase()));
      },
      { check },
    );
  }

  const tokenUrl = `${window.location.origin}/oauth2/v0/token`;
  return (
    <CompanyFrame companyId={companyId} title="Company Request Token" crumbs={WEB_SERVICES_CRUMBS} picker={paths.requestTokenPicker()} uuid>
      <ErrorBanner message={submission.error} />
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
              submission.clearFieldErrors(['appId']);
            }}
            error={submission.fieldErrors['appId']}
            required
            autoComplete="off"
            placeholder="00000000-0000-0000-0000-000000000000"
            className="field-wide"
          />
          <button type="submit" className="button button-primary" disabled={submission.busy}>
            {submission.busy ? 'Submitting…' : 'Submit'}
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
          <DataTable
            className="table table-compact"
            aria-label="Token request parameters"
            columns={['Parameter', 'Value']}
            rows={[
              ['grant_type', 'password'],
              ['credtype', 'authtoken'],
              ['client_id', token.appId],
              ['client_secret', '(the application’s client secret)'],
              ['username', `${token.companyId} (the company UUID)`],
              ['password', '(the request token)'],
            ]}
          >
            {([name, value]) => (
              <tr key={name}>
                <th scope="row" className="mono">
                  {name}
                </th>
                <td className="mono">{value}</td>
              </tr>
            )}
          </DataTable>
        </section>
      ) : null}
    </CompanyFrame>
  );
}

/** App Connections: the applications connected to the company, with Disconnect. */
export function AppConnectionsPage({ companyId }: { companyId: string }) {
  const connections = useLoader<Connection[]>(`connections:${companyId}`, () => api.listConnections(companyId));
  const [notice, setNotice] = useState<string | null>(null);
  const disconnection = useConfirmation(async (connection: Connection) => {
    await api.disconnectApplication(companyId, connection.appId);
    setNotice(`${connection.appName} disconnected. Its company tokens no longer work.`);
    connections.reload();
  });

  return (
    <CompanyFrame companyId={companyId} title="App Connections" crumbs={WEB_SERVICES_CRUMBS} picker={paths.connectionsPicker()} uuid>
      <Notice message={notice} />
      <ErrorBanner message={connections.error} />
      <div className="card">
        <p>
          Partner applications connected to this company with a{' '}
          <Link to={paths.requestToken(companyId)}>Company Request Token</Link>. Disconnecting an application stops its
          company tokens at once.
        </p>
        <Loading what="connections" loader={connections} />
        <DataTable
          aria-label="App connections"
          columns={['Application', 'App ID', 'Connected', 'Connected By', ACTIONS]}
          rows={connections.data}
          empty="No applications are connected to this company."
        >
          {(connection) => (
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
                  onClick={() => disconnection.ask(connection)}
                >
                  Disconnect
                </button>
              </td>
            </tr>
          )}
        </DataTable>
      </div>
      <ConfirmDialog confirmation={disconnection} title="Disconnect application?" confirmLabel="Disconnect" busyLabel="Disconnecting…" danger>
        {(connection) => (
          <p>
            <strong>{connection.appName}</strong> will be disconnected from this company: the app’s company tokens stop
            working at once, its refresh tokens are revoked, and it needs a new Company Request Token to connect again.
          </p>
        )}
      </ConfirmDialog>
    </CompanyFrame>
  );
}
