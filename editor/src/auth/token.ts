/** The admin token (FLOWLOOM_ADMIN_TOKEN) the editor sends when the runtime asks for one; kept in localStorage. */
const STORAGE_KEY = 'flowloom-admin-token';
const EVENT = 'flowloom:unauthorized';

// Read once: the first localStorage access of a page is slow (it loads the origin's storage), and every API call
// asks for the token.
let cached: string | null | undefined;

export function getAdminToken(): string | null {
  if (cached !== undefined) return cached;
  try {
    cached = localStorage.getItem(STORAGE_KEY);
  } catch {
    cached = null;
  }
  return cached;
}

export function setAdminToken(token: string | null): void {
  cached = token;
  try {
    if (token) localStorage.setItem(STORAGE_KEY, token);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: the token lasts until the page closes.
  }
}

/** Headers for editor API calls: `Authorization: Bearer <token>` when one is stored. */
export function authHeaders(): Record<string, string> {
  const token = getAdminToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Called by API helpers on a 401 from the editor API: the app then shows the sign-in screen. */
export function reportUnauthorized(): void {
  window.dispatchEvent(new Event(EVENT));
}

export function onUnauthorized(listener: () => void): () => void {
  window.addEventListener(EVENT, listener);
  return () => window.removeEventListener(EVENT, listener);
}
