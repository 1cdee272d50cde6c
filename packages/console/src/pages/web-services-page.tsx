// Administration > Web Services: the list of web-services administration links.
import { PageHeader } from '../components.tsx';
import { Link, paths } from '../router.tsx';
import { canManageConnectors, useSession } from '../session.tsx';

/** Administration > Web Services. */
export function WebServicesPage() {
  const { session } = useSession();
  const allowed = canManageConnectors(session);
  return (
    <section>
      <PageHeader title="Web Services" crumbs={[{ label: 'Administration' }]} />
      <div className="card">
        {allowed ? (
          <ul className="link-list">
            <li>
              <Link to={paths.connectorsPicker()}>Manage Application Connectors</Link>
              <p className="muted">Register, test and enable the application connectors that callouts contact.</p>
            </li>
            <li>
              <Link to={paths.requestTokenPicker()}>Company Request Token</Link>
              <p className="muted">Create the single-use token with which a partner application connects to the company.</p>
            </li>
            <li>
              <Link to={paths.connectionsPicker()}>App Connections</Link>
              <p className="muted">See the partner applications connected to the company, and disconnect them.</p>
            </li>
            <li>
              <Link to={paths.callLogPicker()}>Call Log</Link>
              <p className="muted">See every call to the company’s connectors: Fetch Attendee, Fetch List and Event Notification, with what was sent and answered.</p>
            </li>
            <li>
              <Link to={paths.notificationsPicker()}>Event Notifications</Link>
              <p className="muted">See the Event Notifications waiting for a connector or failed, and put failed ones back in the queue.</p>
            </li>
          </ul>
        ) : (
          <p>
            You have no web-services administration permissions. Connectors can be managed by users with the
            <strong> Can Administer</strong> permission (Standard editions and Developer Sandbox), or by Web Services
            Administrators and other admins at Development Partner companies (Professional editions).
          </p>
        )}
      </div>
    </section>
  );
}
