// The console shell: loads the session, shows Sign In or the signed-in layout, and routes pages.
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError, api, errorMessage, type Session } from './api.ts';
import { ErrorBanner } from './components.tsx';
import { Link, matchPath, navigate, paths, useLocation } from './router.tsx';
import { SessionContext, canAdministerRequests, canManageConnectors, canUseRequests, useSession, type SessionState } from './session.tsx';
import { SignInPage } from './pages/sign-in-page.tsx';
import { HomePage } from './pages/home-page.tsx';
import { WebServicesPage } from './pages/web-services-page.tsx';
import { CompanyPickerPage, ConnectorListPage, type CompanyPickerProps } from './pages/connector-list-page.tsx';
import { ConnectorEditorPage } from './pages/connector-editor-page.tsx';
import { CompaniesPage, CompanySettingsPage, SafeListPage, UsersPage } from './pages/companies-pages.tsx';
import { ApplicationPage, ApplicationsPage, NewApplicationPage } from './pages/applications-pages.tsx';
import { AppConnectionsPage, CompanyRequestTokenPage } from './pages/app-connections-pages.tsx';
import { ApprovalsPage, MyRequestsPage, NewRequestPage, RequestDetailPage } from './pages/requests-pages.tsx';
import {
  ApproverGroupsPage,
  EventLogPage,
  REQUEST_ADMIN_CRUMBS,
  RequestPoliciesPage,
  RequestUsersPage,
  TravelAgenciesPage,
  WorkflowsPage,
} from './pages/request-admin-pages.tsx';
import { WorkflowEditorPage } from './pages/workflow-editor-page.tsx';
import { AttendeeTypesPage, FormFieldsPage } from './pages/request-form-admin-pages.tsx';
import { CallLogPage, EventNotificationsPage } from './pages/callout-pages.tsx';
import { EventDeliveryPage, EventSubscriptionPage, EventSubscriptionsPage } from './pages/event-subscriptions-pages.tsx';
import { WebhookSigningKeyPage } from './pages/webhook-signing-key-page.tsx';

type Boot = { state: 'loading' } | { state: 'signed-out'; error: string | null } | { state: 'signed-in'; session: Session };

/** The whole console. */
export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });

  useEffect(() => {
    api.onUnauthenticated(() => {
      api.setCsrfToken(null);
      setBoot({ state: 'signed-out', error: 'Your session has ended. Sign in again.' });
    });
    api.getSession().then(
      (session) => {
        api.setCsrfToken(session.csrfToken);
        setBoot({ state: 'signed-in', session });
      },
      (error: unknown) => {
        const expected = error instanceof ApiError && error.status === 401;
        setBoot({ state: 'signed-out', error: expected ? null : errorMessage(error) });
      },
    );
    return () => api.onUnauthenticated(null);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.signOut();
    } catch {
      // The session may already be gone; signing out locally is what matters.
    }
    api.setCsrfToken(null);
    setBoot({ state: 'signed-out', error: null });
    navigate(paths.home());
  }, []);

  const sessionState = useMemo<SessionState | null>(
    () => (boot.state === 'signed-in' ? { session: boot.session, signOut } : null),
    [boot, signOut],
  );

  if (boot.state === 'loading') {
    return (
      <Frame>
        <p className="muted" role="status">
          Loading…
        </p>
      </Frame>
    );
  }
  if (boot.state === 'signed-out' || sessionState === null) {
    return (
      <Frame>
        <SignInPage
          notice={boot.state === 'signed-out' ? boot.error : null}
          onSignedIn={(session) => {
            api.setCsrfToken(session.csrfToken);
            setBoot({ state: 'signed-in', session });
          }}
        />
      </Frame>
    );
  }
  return (
    <SessionContext.Provider value={sessionState}>
      <Frame signedIn>
        <Routes />
      </Frame>
    </SessionContext.Provider>
  );
}

/** Top bar, navigation (when signed in) and the main area. */
function Frame({ children, signedIn = false }: { children: ReactNode; signedIn?: boolean }) {
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to={paths.home()} className="brand">
            patchbay
          </Link>
          {signedIn ? <UserBox /> : null}
        </div>
        {signedIn ? <MainNav /> : null}
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function UserBox() {
  const { session, signOut } = useSession();
  return (
    <div className="userbox">
      <span className="userbox-name">
        {session.user.name}
        <span className="muted-on-dark">
          {' '}
          · {session.user.isOperator ? 'patchbay operator' : (session.company?.name ?? 'no company')}
        </span>
      </span>
      <button type="button" className="button button-on-dark" onClick={() => void signOut()}>
        Sign Out
      </button>
    </div>
  );
}

/** The top navigation with Concur's Administration menu (a disclosure of links). */
function MainNav() {
  const { session } = useSession();
  const { path } = useLocation();
  const [open, setOpen] = useState(false);
  const menuRef = useRef<HTMLLIElement>(null);

  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return;
    function onPointer(event: PointerEvent): void {
      if (menuRef.current !== null && !menuRef.current.contains(event.target as Node)) setOpen(false);
    }
    function onKey(event: KeyboardEvent): void {
      if (event.key === 'Escape') setOpen(false);
    }
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const adminActive = path.startsWith('/admin');
  const requestsActive = path.startsWith('/requests') || path.startsWith('/approvals');
  return (
    <nav className="mainnav" aria-label="Main">
      <ul className="mainnav-list">
        <li>
          <Link to={paths.home()} className={`mainnav-item${path === '/' ? ' is-current' : ''}`} aria-current={path === '/' ? 'page' : undefined}>
            Home
          </Link>
        </li>
        {canUseRequests(session) ? (
          <li>
            <Link
              to={paths.myRequests()}
              className={`mainnav-item${requestsActive ? ' is-current' : ''}`}
              aria-current={path === paths.myRequests() ? 'page' : undefined}
            >
              Requests
            </Link>
          </li>
        ) : null}
        <li className="mainnav-menu" ref={menuRef}>
          <button
            type="button"
            className={`mainnav-item${adminActive ? ' is-current' : ''}`}
            aria-expanded={open}
            aria-controls="administration-menu"
            onClick={() => setOpen((value) => !value)}
          >
            Administration <span aria-hidden="true">▾</span>
          </button>
          <ul id="administration-menu" className="menu" hidden={!open}>
            <li>
              <Link to={paths.webServices()}>Web Services</Link>
            </li>
            {canAdministerRequests(session) ? (
              <li>
                <Link to={paths.requestAdminPicker()}>Request Administration</Link>
              </li>
            ) : null}
            {canManageConnectors(session) ? (
              <li>
                <Link to={paths.eventSubscriptions()}>Event Subscriptions</Link>
              </li>
            ) : null}
            <li>
              <Link to={paths.webhookSigningKey()}>Webhook Signing Key</Link>
            </li>
            {session.user.isOperator ? (
              <>
                <li>
                  <Link to={paths.companies()}>Companies</Link>
                </li>
                <li>
                  <Link to={paths.applications()}>Applications</Link>
                </li>
              </>
            ) : null}
          </ul>
        </li>
      </ul>
    </nav>
  );
}

/** Picks the page for the current path. */
function Routes() {
  const { session } = useSession();
  const { path } = useLocation();
  const operator = session.user.isOperator;

  if (path === '/' || path === '/signin') return <HomePage />;
  if (path === paths.webServices()) return <WebServicesPage />;

  if (path.startsWith('/admin/web-services/connectors')) {
    if (!canManageConnectors(session)) return <Forbidden what="Manage Application Connectors" />;
    if (path === paths.connectorsPicker() || path === `${paths.connectorsPicker()}/`) {
      return <CompanyChoice title="Manage Application Connectors" target={paths.connectors} />;
    }
    const list = matchPath('/admin/web-services/connectors/:companyId', path);
    if (list !== null) return <ConnectorListPage key={list.companyId} companyId={list.companyId ?? ''} />;
    const editor =
      matchPath('/admin/web-services/connectors/:companyId/new', path) ??
      matchPath('/admin/web-services/connectors/:companyId/:connectorId', path);
    if (editor !== null) {
      const companyId = editor.companyId ?? '';
      // One component for New and Modify, so that "New → Save" can switch to Modify keeping its state.
      return <ConnectorEditorPage key={companyId} companyId={companyId} connectorId={editor.connectorId ?? null} />;
    }
  }

  // Company Request Token and App Connections: the connector permission applies, and operators pick a company first.
  for (const tool of COMPANY_TOOLS) {
    if (!path.startsWith(tool.picker)) continue;
    if (!canManageConnectors(session)) return <Forbidden what={tool.title} />;
    if (path === tool.picker || path === `${tool.picker}/`) return <CompanyChoice title={tool.title} lead={tool.lead} target={tool.page} />;
    const match = matchPath(`${tool.picker}/:companyId`, path);
    if (match !== null) return tool.render(match.companyId ?? '');
  }

  if (path === paths.myRequests() || path.startsWith(`${paths.myRequests()}/`) || path === paths.approvals() || path.startsWith(`${paths.approvals()}/`)) {
    const companyId = session.user.companyId;
    if (companyId === null || !canUseRequests(session)) return <NoRequests />;
    if (path === paths.myRequests()) return <MyRequestsPage companyId={companyId} />;
    if (path === paths.newRequest()) return <NewRequestPage companyId={companyId} />;
    if (path === paths.approvals()) return <ApprovalsPage companyId={companyId} />;
    const mine = matchPath('/requests/:requestId', path);
    if (mine !== null) return <RequestDetailPage key={mine.requestId} companyId={companyId} requestId={mine.requestId ?? ''} mode="mine" />;
    const approval = matchPath('/approvals/:requestId', path);
    if (approval !== null) return <RequestDetailPage key={approval.requestId} companyId={companyId} requestId={approval.requestId ?? ''} mode="approval" />;
  }

  if (path === paths.requestAdminPicker() || path.startsWith(`${paths.requestAdminPicker()}/`)) {
    if (!canAdministerRequests(session)) return <Forbidden what="Request Administration" />;
    if (path === paths.requestAdminPicker()) {
      return (
        <CompanyChoice
          title="Request Administration"
          lead="Choose the company whose Request workflows, policies and events you want to manage."
          target={paths.workflows}
          crumbs={REQUEST_ADMIN_CRUMBS}
        />
      );
    }
    const editor =
      matchPath('/admin/requests/:companyId/workflows/new', path) ?? matchPath('/admin/requests/:companyId/workflows/:workflowId', path);
    if (editor !== null) {
      const companyId = editor.companyId ?? '';
      return <WorkflowEditorPage key={`${companyId}:${editor.workflowId ?? 'new'}`} companyId={companyId} workflowId={editor.workflowId ?? null} />;
    }
    const page = matchPath('/admin/requests/:companyId/:page', path);
    if (page !== null) {
      const companyId = page.companyId ?? '';
      switch (page.page) {
        case 'workflows':
          return <WorkflowsPage key={companyId} companyId={companyId} />;
        case 'policies':
          return <RequestPoliciesPage key={companyId} companyId={companyId} />;
        case 'travel-agencies':
          return <TravelAgenciesPage key={companyId} companyId={companyId} />;
        case 'approver-groups':
          return <ApproverGroupsPage key={companyId} companyId={companyId} />;
        case 'users':
          return <RequestUsersPage key={companyId} companyId={companyId} />;
        case 'events':
          return <EventLogPage key={companyId} companyId={companyId} />;
        case 'attendee-types':
          return <AttendeeTypesPage key={companyId} companyId={companyId} />;
        case 'form-fields':
          return <FormFieldsPage key={companyId} companyId={companyId} />;
      }
    }
  }

  if (path === paths.webhookSigningKey()) return <WebhookSigningKeyPage />;
  if (path === paths.eventSubscriptions() || path.startsWith(`${paths.eventSubscriptions()}/`)) {
    // Operators see every subscription; a company's connector administrators those of its events.
    if (!canManageConnectors(session)) return <Forbidden what="Event Subscriptions" />;
    if (path === paths.eventSubscriptions()) return <EventSubscriptionsPage />;
    const delivery = matchPath('/admin/event-subscriptions/:subscriptionId/deliveries/:deliveryId', path);
    if (delivery !== null) {
      return <EventDeliveryPage key={delivery.deliveryId} subscriptionId={delivery.subscriptionId ?? ''} deliveryId={delivery.deliveryId ?? ''} />;
    }
    const subscription = matchPath('/admin/event-subscriptions/:subscriptionId', path);
    if (subscription !== null) return <EventSubscriptionPage key={subscription.subscriptionId} subscriptionId={subscription.subscriptionId ?? ''} />;
  }

  if (path.startsWith('/admin/applications')) {
    if (!operator) return <Forbidden what="Applications" />;
    if (path === paths.applications()) return <ApplicationsPage />;
    if (path === paths.newApplication()) return <NewApplicationPage />;
    const application = matchPath('/admin/applications/:appId', path);
    if (application !== null) return <ApplicationPage key={application.appId} appId={application.appId ?? ''} />;
  }

  if (path.startsWith('/admin/companies')) {
    if (!operator) return <Forbidden what="Companies" />;
    if (path === paths.companies()) return <CompaniesPage />;
    const company = matchPath('/admin/companies/:companyId', path);
    if (company !== null) return <CompanySettingsPage key={company.companyId} companyId={company.companyId ?? ''} />;
    const safeList = matchPath('/admin/companies/:companyId/safe-list', path);
    if (safeList !== null) return <SafeListPage key={safeList.companyId} companyId={safeList.companyId ?? ''} />;
    const users = matchPath('/admin/companies/:companyId/users', path);
    if (users !== null) return <UsersPage key={users.companyId} companyId={users.companyId ?? ''} />;
  }

  return <NotFound />;
}

/** The per-company Web Services tools next to Manage Application Connectors. */
const COMPANY_TOOLS: readonly {
  title: string;
  lead: string;
  picker: string;
  page: (companyId: string) => string;
  render: (companyId: string) => ReactNode;
}[] = [
  {
    title: 'Company Request Token',
    lead: 'Choose the company that a partner application should connect to.',
    picker: paths.requestTokenPicker(),
    page: paths.requestToken,
    render: (companyId) => <CompanyRequestTokenPage key={companyId} companyId={companyId} />,
  },
  {
    title: 'App Connections',
    lead: 'Choose the company whose connected applications you want to see.',
    picker: paths.connectionsPicker(),
    page: paths.connections,
    render: (companyId) => <AppConnectionsPage key={companyId} companyId={companyId} />,
  },
  {
    title: 'Call Log',
    lead: 'Choose the company whose calls to application connectors you want to see.',
    picker: paths.callLogPicker(),
    page: paths.callLog,
    render: (companyId) => <CallLogPage key={companyId} companyId={companyId} />,
  },
  {
    title: 'Event Notifications',
    lead: 'Choose the company whose Event Notification queue you want to see.',
    picker: paths.notificationsPicker(),
    page: paths.notifications,
    render: (companyId) => <EventNotificationsPage key={companyId} companyId={companyId} />,
  },
];

/** A page about one company: operators choose the company first, a company's users go straight to theirs. */
function CompanyChoice(props: CompanyPickerProps & { title: string; target: (companyId: string) => string }) {
  const { session } = useSession();
  if (session.user.isOperator) return <CompanyPickerPage {...props} />;
  if (session.user.companyId !== null) return <Redirect to={props.target(session.user.companyId)} />;
  return <Forbidden what={props.title} />;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function Forbidden({ what }: { what: string }) {
  return (
    <section>
      <h1>{what}</h1>
      <ErrorBanner message={`You do not have permission to open ${what}. Ask your company's administrator for the right role.`} />
      <p>
        <Link to={paths.home()}>Back to Home</Link>
      </p>
    </section>
  );
}

function NoRequests() {
  return (
    <section>
      <h1>Requests</h1>
      <p>Requests are created and approved by the users of a company. Sign in as a company user to see theirs.</p>
      <p>
        <Link to={paths.home()}>Back to Home</Link>
      </p>
    </section>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is no console page at this address.</p>
      <p>
        <Link to={paths.home()}>Back to Home</Link>
      </p>
    </section>
  );
}
