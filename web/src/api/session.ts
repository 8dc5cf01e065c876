// The signed-in session: tokens live in sessionStorage, so they end with the tab.

import { signal } from "@preact/signals";

const KEY = "disco.session";
// Device tokens outlive the tab (localStorage), one per account: a sign-in that presents this
// browser's token is never held up by other people's failed attempts on the account.
const DEVICE_KEY = "disco.device:";

export interface User {
  id: string;
  email: string;
  name?: string;
  roles?: string[];
  emailVerified?: boolean;
  [more: string]: unknown;
}

/** A token pair as the API returns it from login, sign-up and refresh. */
export interface TokenPair {
  token: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
  deviceToken?: string;
}

interface State {
  token: string;
  refreshToken: string;
  user: User;
  expiresAt: number;
  lifetimeMs: number;
}

function load(): State | null {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? "null") as State | null;
  } catch {
    return null;
  }
}

/** The current session, or null when signed out. Screens read it; only this module writes it. */
export const current = signal<State | null>(load());
/** Why the last session ended, if not by the person's choice; the sign-in screen shows it. */
export const endedBecause = signal<string | null>(null);

export const session = {
  get signedIn(): boolean {
    return current.value !== null;
  },
  get token(): string | null {
    return current.value?.token ?? null;
  },
  get refreshToken(): string | null {
    return current.value?.refreshToken ?? null;
  },
  get user(): User | null {
    return current.value?.user ?? null;
  },
  /** Milliseconds until the access token should be renewed: a fifth of its life early. */
  get renewIn(): number {
    const state = current.value;
    if (!state) return Number.POSITIVE_INFINITY;
    return Math.max(0, state.expiresAt - Date.now() - Math.min(60_000, state.lifetimeMs / 5));
  },
  /** This browser's device token for an account, if it has signed in to it before. */
  deviceToken(email: string): string | null {
    return localStorage.getItem(DEVICE_KEY + email.trim().toLowerCase());
  },
  save(pair: TokenPair): void {
    if (pair.deviceToken && pair.user?.email) {
      localStorage.setItem(DEVICE_KEY + pair.user.email.toLowerCase(), pair.deviceToken);
    }
    const lifetimeMs = pair.expiresIn * 1000;
    const state: State = {
      token: pair.token,
      refreshToken: pair.refreshToken,
      user: pair.user,
      expiresAt: Date.now() + lifetimeMs,
      lifetimeMs,
    };
    sessionStorage.setItem(KEY, JSON.stringify(state));
    endedBecause.value = null;
    current.value = state;
  },
  /** Merges fresh account fields (a new name, say) into the session's copy of the user. */
  updateUser(fields: Partial<User>): void {
    const state = current.value;
    if (!state) return;
    const next = { ...state, user: { ...state.user, ...fields } };
    sessionStorage.setItem(KEY, JSON.stringify(next));
    current.value = next;
  },
  clear(reason: string | null = null): void {
    sessionStorage.removeItem(KEY);
    endedBecause.value = reason;
    current.value = null;
  },
};
