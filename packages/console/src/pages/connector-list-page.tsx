// Manage Application Connectors: the company picker (operators) and the
// "Application Connector Registration" list with New, Modify and Test Connection.
import { useEffect, useState } from 'react';
import { api, errorMessage, type Connector, type TestConnectionResult } from '../api.ts';
import { Badge, DateTime, ErrorBanner, Loading, Notice, PageHeader, useLoader, type Crumb } from '../components.tsx';
import { Link, navigate, paths, useLocation } from '../router.tsx';
import { clearFlash, peekFlash, useSession } from '../session.tsx';
import { TestResultBox } from './connector-parts.tsx';

const CRUMBS: Crumb[] = [{ label: 'Administration' }, { label: 'Web Services', to: paths.webServices() }];

/** What a company picker leads to; by default Manage Application Connectors. */
export interface CompanyPickerProps {
  title?: string;
  /** The sentence above the picker. */
  lead?: string;
  /** The page of the chosen company. */
  target?: (companyId: string) => string;
  /** The breadcrumb trail above the title; by default Administration > Web Services. */
  crumbs?: Crumb[];
}

/** Operators first choose the company whose connectors (or request tokens, or connections) they manage. */
export function CompanyPickerPage({
  title = 'Manage Application Connectors',
  lead = 'Choose the company whose application connectors you want to manage.',
  target = paths.connectors,
  crumbs = CRUMBS,
}: CompanyPickerProps) {
  const companies = useLoader('companies', () => api.listCompanies());
  const [choice, setChoice] = useState('');
  const first = companies.data?.[0]?.id ?? '';
  return (
    <section>
      <PageHeader title={title} crumbs={crumbs} />
      <div className="card">
        <p>{lead}</p>
        <ErrorBanner message={companies.error} />
        {companies.loading ? <Loading what="companies" /> : null}
        {companies.data !== undefined && companies.data.length === 0 ? (
          <p>
            There are no companies yet. <Link to={paths.companies()}>Create one on the Companies page.</Link>
          </p>
        ) : null}
        {companies.data !== undefined && companies.data.length > 0 ? (
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              const id = choice || first;
              if (id !== '') navigate(target(id));
            }}
          >
            <div className="field">
              <label htmlFor="company-picker">Company</label>
              <select id="company-picker" value={choice || first} onChange={(event) => setChoice(event.target.value)}>
                {companies.data.map((company) => (
                  <option key={company.id} value={company.id}>
                    {company.name}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="button button-primary">
              Open
            </button>
          </form>
        ) : null}
      </div>
    </section>
  );
}

/** "Application Connector Registration": the company's connectors. */
export function ConnectorListPage({ companyId }: { companyId: string }) {
  const { session } = useSession();
  const { path } = useLocation();
  const operator = session.user.isOperator;
  const connectors = useLoader(`connectors:${companyId}`, () => api.listConnectors(companyId));
  const companies = useLoader(`companies:${operator}`, () => (operator ? api.listCompanies() : Promise.resolve([])));
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [flash] = useState(() => peekFlash(path));
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<{ connectorId: string; result: TestConnectionResult } | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => clearFlash(), []);

  const items = connectors.data ?? [];
  const selected = items.find((connector) => connector.id === selectedId) ?? null;
  const companyName = operator
    ? (companies.data?.find((company) => company.id === companyId)?.name ?? null)
    : (session.company?.name ?? null);

  async function testSelected(connector: Connector): Promise<void> {
    setTesting(true);
    setActionError(null);
    setTest(null);
    try {
      const answer = await api.testConnection(companyId, connector.id);
      setTest({ connectorId: connector.id, result: answer.result });
      connectors.setData(items.map((item) => (item.id === connector.id ? answer.connector : item)));
    } catch (cause) {
      setActionError(errorMessage(cause));
    } finally {
      setTesting(false);
    }
  }

  function modify(connector: Connector | null): void {
    if (connector !== null) navigate(paths.connector(companyId, connector.id));
  }

  return (
    <section>
      <PageHeader
        title="Application Connector Registration"
        crumbs={[
          ...CRUMBS,
          operator ? { label: 'Manage Application Connectors', to: paths.connectorsPicker() } : { label: 'Manage Application Connectors' },
        ]}
      />
      {companyName !== null ? (
        <p className="context-line">
          Company: <strong>{companyName}</strong>
          {operator ? (
            <>
              {' '}
              · <Link to={paths.connectorsPicker()}>Choose another company</Link>
            </>
          ) : null}
        </p>
      ) : null}
      <Notice message={flash} />
      <ErrorBanner message={connectors.error ?? actionError} />
      <div className="card">
        <div className="toolbar" role="toolbar" aria-label="Connector actions">
          <button type="button" className="button button-primary" onClick={() => navigate(paths.newConnector(companyId))}>
            New
          </button>
          <button type="button" className="button" disabled={selected === null} onClick={() => modify(selected)}>
            Modify
          </button>
          <button
            type="button"
            className="button"
            disabled={selected === null || testing}
            onClick={() => selected !== null && void testSelected(selected)}
          >
            {testing ? 'Testing…' : 'Test Connection'}
          </button>
          <span className="toolbar-hint muted">
            {selected === null ? 'Select a connector to modify or test it.' : `Selected: ${selected.name}`}
          </span>
        </div>
        {test !== null && selected !== null && test.connectorId === selected.id ? <TestResultBox result={test.result} /> : null}
        {connectors.loading && connectors.data === undefined ? <Loading what="connectors" /> : null}
        {connectors.data !== undefined ? (
          <table className="table table-selectable">
            <caption className="visually-hidden">Application connectors</caption>
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">Select</span>
                </th>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Host Name</th>
                <th scope="col">Verified</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 ? (
                <tr>
                  <td colSpan={6} className="empty">
                    No application connectors are registered yet. Click <strong>New</strong> to register one.
                  </td>
                </tr>
              ) : null}
              {items.map((connector) => {
                const isSelected = connector.id === selectedId;
                return (
                  <tr
                    key={connector.id}
                    className={isSelected ? 'is-selected' : undefined}
                    onClick={() => setSelectedId(connector.id)}
                    onDoubleClick={() => modify(connector)}
                  >
                    <td className="cell-select">
                      <input
                        type="radio"
                        name="connector"
                        aria-label={`Select ${connector.name}`}
                        checked={isSelected}
                        onChange={() => setSelectedId(connector.id)}
                      />
                    </td>
                    <th scope="row">{connector.name}</th>
                    <td>{connector.description}</td>
                    <td className="mono">{connector.hostName}</td>
                    <td>
                      {connector.verified ? (
                        <Badge tone="success">Verified</Badge>
                      ) : (
                        <Badge tone="neutral">Not verified</Badge>
                      )}
                      {connector.verifiedAt !== null ? (
                        <div className="small muted">
                          <DateTime value={connector.verifiedAt} />
                        </div>
                      ) : null}
                    </td>
                    <td>
                      {connector.status === 'ACTIVE' ? <Badge tone="success">Active</Badge> : <Badge tone="neutral">Inactive</Badge>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
        <p className="note">
          Registrations cannot be deleted. To deactivate a connector, select it, click <strong>Modify</strong> and set
          all of its services to inactive (or click <strong>Deactivate</strong>).
        </p>
      </div>
    </section>
  );
}
