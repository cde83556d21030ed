import { type FormEvent, useEffect, useState } from 'react';
import { useDocumentTitle } from '../ui/use-document-title';
import { getAdminToken, onUnauthorized, setAdminToken } from './token';
import '../ui/page.css';

/** True once an editor API call was refused for want of the admin token (until a good token is entered). */
export function useNeedsSignIn(): boolean {
  const [needs, setNeeds] = useState(false);
  useEffect(() => onUnauthorized(() => setNeeds(true)), []);
  return needs;
}

/** The sign-in screen shown when the runtime needs its admin token (FLOWLOOM_ADMIN_TOKEN). */
export function SignIn() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(getAdminToken() ? 'The stored token was refused.' : null);
  const [isBusy, setBusy] = useState(false);
  useDocumentTitle('Sign in');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/api/flows', { headers: { authorization: `Bearer ${token.trim()}` } });
      if (response.status === 401) {
        setError('This token is not the runtime’s admin token.');
        return;
      }
      setAdminToken(token.trim());
      window.location.reload();
    } catch (err) {
      setError(`The runtime cannot be reached (${String(err)})`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="page-error" data-testid="sign-in">
      <h1>Sign in</h1>
      <p className="muted">This runtime is protected by an admin token (FLOWLOOM_ADMIN_TOKEN). Enter it to continue.</p>
      <form onSubmit={submit} style={{ display: 'flex', gap: 8, marginTop: 12 }}>
        <input
          type="password"
          aria-label="Admin token"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoComplete="current-password"
          style={{ flex: 1 }}
        />
        <button type="submit" className="btn btn-primary" disabled={isBusy || token.trim() === ''}>
          Sign in
        </button>
      </form>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </main>
  );
}
