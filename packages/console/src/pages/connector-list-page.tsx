// Manage Application Connectors: the company picker (operators) and the
// "Application Connector Registration" list with New, Modify and Test Connection.
import { useState } from 'react';
import { api, type Connector, type TestConnectionResult } from '../api.ts';
import {
  CompanyFrame,
  DataTable,
  DateTime,
  ErrorBanner,
  FlagBadge,
  Loading,
  Notice,
  PageHeader,
  SELECT,
  SelectableRow,
  WEB_SERVICES_CRUMBS,
  useLoader,
  type Crumb,
} from '../components.tsx';
import { useSubmission } from '../forms.ts';
import { Link, navigate, paths } from '../router.tsx';
import { useFlash, useSession } from '../session.tsx';
import { TestResultBox } from './connector-parts.tsx';

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
  crumbs = WEB_SERVICES_CRUMBS,
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
        <Loading what="companies" loader={companies} />
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
  const connectors = useLoader(`connectors:${companyId}`, () => api.listConnectors(companyId));
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const flash = useFlash();
  const testing = useSubmission();
  const [test, setTest] = useState<{ connectorId: string; result: TestConnectionResult } | null>(null);

  const items = connectors.data ?? [];
  const selected = items.find((connector) => connector.id === selectedId) ?? null;

  function testSelected(connector: Connector): Promise<void> {
    setTest(null);
    return testing.submit(async () => {
      const answer = await api.testConnection(companyId, connector.id);
      setTest({ connectorId: connector.id, result: answer.result });
      connectors.setData(items.map((item) => (item.id === connector.id ? answer.connector : item)));
    });
  }

  function modify(connector: Connector | null): void {
    if (connector !== null) navigate(paths.connector(companyId, connector.id));
  }

  return (
    <CompanyFrame
      companyId={companyId}
      title="Application Connector Registration"
      crumbs={[
        ...WEB_SERVICES_CRUMBS,
        session.user.isOperator ? { label: 'Manage Application Connectors', to: paths.connectorsPicker() } : { label: 'Manage Application Connectors' },
      ]}
      picker={paths.connectorsPicker()}
    >
      <Notice message={flash} />
      <ErrorBanner message={connectors.error ?? testing.error} />
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
            disabled={selected === null || testing.busy}
            onClick={() => selected !== null && void testSelected(selected)}
          >
            {testing.busy ? 'Testing…' : 'Test Connection'}
          </button>
          <span className="toolbar-hint muted">
            {selected === null ? 'Select a connector to modify or test it.' : `Selected: ${selected.name}`}
          </span>
        </div>
        {test !== null && selected !== null && test.connectorId === selected.id ? <TestResultBox result={test.result} /> : null}
        <Loading what="connectors" loader={connectors} />
        <DataTable
          className="table table-selectable"
          caption="Application connectors"
          columns={[SELECT, 'Name', 'Description', 'Host Name', 'Verified', 'Status']}
          rows={connectors.data}
          empty={
            <>
              No application connectors are registered yet. Click <strong>New</strong> to register one.
            </>
          }
        >
          {(connector) => (
            <SelectableRow
              key={connector.id}
              group="connector"
              label={connector.name}
              selected={connector.id === selectedId}
              onSelect={() => setSelectedId(connector.id)}
              onOpen={() => modify(connector)}
            >
              <th scope="row">{connector.name}</th>
              <td>{connector.description}</td>
              <td className="mono">{connector.hostName}</td>
              <td>
                <FlagBadge on={connector.verified} yes="Verified" no="Not verified" />
                {connector.verifiedAt !== null ? (
                  <div className="small muted">
                    <DateTime value={connector.verifiedAt} />
                  </div>
                ) : null}
              </td>
              <td>
                <FlagBadge on={connector.status === 'ACTIVE'} yes="Active" no="Inactive" />
              </td>
            </SelectableRow>
          )}
        </DataTable>
        <p className="note">
          Registrations cannot be deleted. To deactivate a connector, select it, click <strong>Modify</strong> and set
          all of its services to inactive (or click <strong>Deactivate</strong>).
        </p>
      </div>
    </CompanyFrame>
  );
}
