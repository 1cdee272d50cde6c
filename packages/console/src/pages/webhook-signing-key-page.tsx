// Administration > Webhook Signing Key: the public keys (PEM) that verify Concur-Signature on ESS
// webhooks, the current one and older ones that still verify, and Rotate (operators).
import { useState } from 'react';
import { api, type WebhookKey } from '../api.ts';
import { ConfirmDialog, DateTime, ErrorBanner, FlagBadge, Loading, Notice, PageHeader, useLoader, type Crumb } from '../components.tsx';
import { useConfirmation } from '../forms.ts';
import { Link, paths } from '../router.tsx';
import { canManageConnectors, useSession } from '../session.tsx';

const CRUMBS: Crumb[] = [{ label: 'Administration' }];

/** A Copy button for a multi-line value (a PEM), with its outcome announced. */
function CopyButton({ label, value }: { label: string; value: string }) {
  const [outcome, setOutcome] = useState<string | null>(null);
  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(value);
      setOutcome(`${label} copied to the clipboard.`);
    } catch {
      setOutcome('The browser did not allow copying: select the key and press Ctrl+C (⌘C on a Mac).');
    }
  }
  return (
    <span className="actions">
      <button type="button" className="button" onClick={() => void copy()}>
        Copy {label}
      </button>
      <span className="field-hint" role="status">
        {outcome ?? ''}
      </span>
    </span>
  );
}

/** One published key: its id, age and PEM. */
function KeyCard({ webhookKey, title }: { webhookKey: WebhookKey; title: string }) {
  const headingId = `key-${webhookKey.kid}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-title-row is-centered">
        <h2 id={headingId}>{title}</h2>
        <FlagBadge on={webhookKey.current} yes="Signing new events" no="Still verifies" />
      </div>
      <dl className="facts">
        <dt>Key ID</dt>
        <dd className="mono">{webhookKey.kid}</dd>
        <dt>Created</dt>
        <dd>
          <DateTime value={webhookKey.createdAt} />
        </dd>
      </dl>
      <pre className="event-json" aria-label={`${title} PEM`}>
        {webhookKey.publicKeyPem.trim()}
      </pre>
      <div className="actions">
        <CopyButton label={webhookKey.current ? 'Public Key' : `Key ${webhookKey.kid}`} value={webhookKey.publicKeyPem} />
      </div>
    </section>
  );
}

/** Webhook Signing Key: what subscribers verify `Concur-Signature` with. */
export function WebhookSigningKeyPage() {
  const { session } = useSession();
  const operator = session.user.isOperator;
  const keys = useLoader('webhook-keys', () => api.listWebhookKeys());
  const [notice, setNotice] = useState<string | null>(null);
  const rotation = useConfirmation(async () => {
    const kid = await api.rotateWebhookKey();
    setNotice(`Webhook signing key rotated: new key id ${kid}. Events signed from now on use it; the previous key stays published, so signatures made with it keep verifying.`);
    keys.reload();
  });

  const [current, ...older] = keys.data ?? [];
  const pemUrl = `${window.location.origin}/api/ess/signing-key.pem`;
  return (
    <section>
      <PageHeader title="Webhook Signing Key" crumbs={CRUMBS}>
        {operator ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              setNotice(null);
              rotation.ask();
            }}
          >
            Rotate Key
          </button>
        ) : null}
      </PageHeader>
      <p className="lead">
        Every webhook the Event Subscription Service sends carries <span className="mono">Concur-Signature</span>: base64 of an
        RSASSA-PSS signature (SHA-256, MGF1 with SHA-256, maximum salt length) over the exact request body. Subscribers verify it
        with the public key below{canManageConnectors(session) ? <>; deliveries are listed on <Link to={paths.eventSubscriptions()}>Event Subscriptions</Link></> : null}.
      </p>
      <Notice message={notice} />
      <ErrorBanner message={keys.error} />
      <Loading what="the signing keys" loader={keys} />
      {current !== undefined ? <KeyCard key={current.kid} webhookKey={current} title="Current Public Key" /> : null}
      {current !== undefined ? (
        <section className="card" aria-labelledby="verify-heading">
          <h2 id="verify-heading">Verifying a webhook</h2>
          <p>
            The key is also served as a file at <a href="/api/ess/signing-key.pem">{pemUrl}</a>. With OpenSSL, given the body in{' '}
            <span className="mono">body.json</span> and the header’s value base64-decoded into <span className="mono">signature.bin</span>:
          </p>
          <pre className="event-json" aria-label="OpenSSL verification command">
            {'openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:max \\\n  -verify webhook-signing-key.pem -signature signature.bin body.json'}
          </pre>
          <p className="note">A verifier fixed at a 32-byte salt (the default of many libraries) rejects these signatures: use the maximum (or automatic) salt length.</p>
        </section>
      ) : null}
      {older.length > 0 ? (
        <>
          <h2>Older keys that still verify</h2>
          <p className="lead">Events signed before the last rotation carry signatures made with these keys. Keep accepting them until they disappear from this page.</p>
          {older.map((key) => (
            <KeyCard key={key.kid} webhookKey={key} title={`Key ${key.kid}`} />
          ))}
        </>
      ) : null}
      <ConfirmDialog confirmation={rotation} title="Rotate the webhook signing key?" confirmLabel="Rotate Key" busyLabel="Rotating…">
        {() => (
          <>
            <p className="dialog-lead">
              A new key starts signing the events sent from now on. The current key stays published, so signatures made with it
              keep verifying; the key before it is retired.
            </p>
            <p>Subscribers that pin one key need the new public key before their next delivery.</p>
          </>
        )}
      </ConfirmDialog>
    </section>
  );
}
