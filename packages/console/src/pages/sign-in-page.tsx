// Sign In: Login ID and Password.
import { useEffect, useRef, useState } from 'react';
import { ApiError, api, errorMessage, type Session } from '../api.ts';
import { ErrorBanner, Notice, TextField, CardForm } from '../components.tsx';

/** The sign-in form; calls `onSignedIn` with the new session. */
export function SignInPage({ notice, onSignedIn }: { notice: string | null; onSignedIn: (session: Session) => void }) {
  const [loginId, setLoginId] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const loginRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign In - patchbay';
    loginRef.current?.focus();
  }, []);

  async function submit(): Promise<void> {
    if (loginId.trim() === '' || password === '') {
      setError('Enter your Login ID and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.signIn(loginId.trim(), password));
    } catch (cause) {
      setError(
        cause instanceof ApiError && cause.status === 401
          ? 'The Login ID or password is not correct. Check them and try again.'
          : errorMessage(cause),
      );
      setBusy(false);
    }
  }

  return (
    <section className="signin">
      <h1>Sign In</h1>
      <Notice message={notice} tone="info" />
      <CardForm onSubmit={() => submit()}>
        <ErrorBanner message={error} />
        <TextField label="Login ID" value={loginId} onChange={setLoginId} autoComplete="username" inputRef={loginRef} required />
        <TextField label="Password" type="password" value={password} onChange={setPassword} autoComplete="current-password" required />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Signing In…' : 'Sign In'}
          </button>
        </div>
      </CardForm>
    </section>
  );
}
