// Home: who is signed in, and where the administration pages are.
import { EDITION_LABELS } from '../api.ts';
import { PageHeader } from '../components.tsx';
import { Link, paths } from '../router.tsx';
import { canAdministerRequests, useSession } from '../session.tsx';

/** The page shown after sign-in. */
export function HomePage() {
  const { session } = useSession();
  const { user, company } = session;
  return (
    <section>
      <PageHeader title="Home" />
      <div className="card">
        <h2>Welcome, {user.name}</h2>
        <dl className="facts">
          <dt>Login ID</dt>
          <dd>{user.loginId}</dd>
          {user.isOperator ? (
            <>
              <dt>Account</dt>
              <dd>patchbay operator (all companies)</dd>
            </>
          ) : null}
          {company !== null ? (
            <>
              <dt>Company</dt>
              <dd>
                {company.name} ({EDITION_LABELS[company.edition] ?? company.edition}
                {company.developmentPartner ? ', Development Partner' : ''})
              </dd>
            </>
          ) : null}
        </dl>
        {company !== null ? (
          <p>
            Open <Link to={paths.myRequests()}>Requests</Link> to plan a trip and submit it for approval, or to approve the
            requests waiting for you.
          </p>
        ) : null}
        <p>
          Open the <strong>Administration</strong> menu above and choose <strong>Web Services</strong> to register, test
          and enable application connectors
          {canAdministerRequests(session) ? (
            <>
              , or <strong>Request Administration</strong> to set up approval workflows and read the event log
            </>
          ) : null}
          .
        </p>
      </div>
    </section>
  );
}
