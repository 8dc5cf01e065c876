// The signed-in session: tokens live in sessionStorage, so they end with the tab.

const KEY = "disco.session";
// Device tokens outlive the tab (localStorage), one per account: a sign-in that presents this
// browser's token is never held up by other people's failed attempts on the account.
const DEVICE_KEY = "disco.device:";

class Session extends EventTarget {
  /** Why the last session ended, if not by the user's choice; the sign-in screen shows it. */
  endedBecause = null;
  #state = load();

  get signedIn() {
    return this.#state !== null;
  }

  get token() {
    return this.#state?.token ?? null;
  }

  get refreshToken() {
    return this.#state?.refreshToken ?? null;
  }

  get user() {
    return this.#state?.user ?? null;
  }

  /** Milliseconds until the access token should be renewed: a fifth of its life early. */
  get renewIn() {
    if (!this.#state) return Infinity;
    const { expiresAt, lifetimeMs } = this.#state;
    return Math.max(0, expiresAt - Date.now() - Math.min(60_000, lifetimeMs / 5));
  }

  /** This browser's device token for an account, if it has signed in to it before. */
  deviceToken(email) {
    return localStorage.getItem(DEVICE_KEY + email.trim().toLowerCase());
  }

  /** Keeps a token pair as the API returns it ({token, refreshToken, expiresIn, user}). */
  save(pair) {
    if (pair.deviceToken && pair.user?.email) {
      localStorage.setItem(DEVICE_KEY + pair.user.email.toLowerCase(), pair.deviceToken);
    }
    const lifetimeMs = pair.expiresIn * 1000;
    this.#state = {
      token: pair.token,
      refreshToken: pair.refreshToken,
      user: pair.user,
      expiresAt: Date.now() + lifetimeMs,
      lifetimeMs,
    };
    sessionStorage.setItem(KEY, JSON.stringify(this.#state));
    this.dispatchEvent(new Event("change"));
  }

  clear(reason = null) {
    this.#state = null;
    sessionStorage.removeItem(KEY);
    this.endedBecause = reason;
    this.dispatchEvent(new Event("change"));
  }
}

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export const session = new Session();
