// The account area's calls to the API, typed as the server answers them.

import { ApiError, authed, call, renew } from "../../api/client";
import { session, type TokenPair } from "../../api/session";
import { navigate } from "../../router";
import { readable } from "./errors";

export type Mode = "social" | "professional";
export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

export interface Disclosure {
  lastName: boolean;
  bio: boolean;
  photo: boolean;
  allInterests: boolean;
  activities: boolean;
}

export interface Visibility {
  nearby: Disclosure;
  match: Disclosure;
}

export interface Profile {
  id: string;
  firstName: string;
  lastName: string;
  bio: string;
  birthDate: string | null;
  interests: string[];
  activities: string[];
  mode: Mode;
  visibility: Visibility;
  photoUrl: string | null;
  deactivated: boolean;
}

export interface TimeWindow {
  days: Weekday[];
  start: string;
  end: string;
  tz: string;
}

export interface Preferences {
  discoveryRadiusMeters: number;
  timeWindows: TimeWindow[];
  ageRange: { min: number; max: number } | null;
  professionalOnly: boolean;
}

export interface Taxonomy {
  categories: Record<string, string[]>;
  synonyms: Record<string, string>;
  activities: string[];
}

export interface ChatPrivacy {
  readReceipts: boolean;
  typing: boolean;
  presence: boolean;
}

export interface Block {
  userId: string;
  /** Null once the blocked account is gone. */
  firstName: string | null;
  until: string | null;
  createdAt: string;
}

export interface AuthMe {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  twoFactorEnabled: boolean;
}

export interface MfaRequired {
  mfaRequired: true;
  mfaToken: string;
}

async function explained<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw readable(error);
  }
}

export const accountApi = {
  signup: (body: { email: string; password: string; firstName: string; lastName: string }) =>
    explained(call<TokenPair>("/v1/auth/signup", { method: "POST", body })),
  login: (body: { email: string; password: string; deviceToken?: string }) =>
    explained(call<TokenPair | MfaRequired>("/v1/auth/login", { method: "POST", body })),
  verifyTwoFactor: (mfaToken: string, code: string) =>
    explained(call<TokenPair>("/v1/auth/2fa/verify", { method: "POST", body: { mfaToken, code } })),
  verifyEmail: (token: string) =>
    call("/v1/auth/verify-email", { method: "POST", body: { token } }),
  resendVerification: () => authed("/v1/auth/verify-email/resend", { method: "POST" }),
  requestReset: (email: string) =>
    explained(call("/v1/auth/password-reset/request", { method: "POST", body: { email } })),
  resetPassword: (token: string, password: string) =>
    explained(call("/v1/auth/password-reset/reset", { method: "POST", body: { token, password } })),
  authMe: () => authed<AuthMe>("/v1/auth/me"),
  logout: () => authed("/v1/auth/logout", { method: "POST" }),
  setupTwoFactor: () =>
    authed<{ secret: string; otpauthUri: string }>("/v1/auth/2fa/setup", { method: "POST" }),
  enableTwoFactor: (code: string) =>
    explained(
      authed<{ recoveryCodes: string[] }>("/v1/auth/2fa/enable", {
        method: "POST",
        body: { code },
      }),
    ),
  disableTwoFactor: (code: string) =>
    explained(authed("/v1/auth/2fa/disable", { method: "POST", body: { code } })),

  profile: () => authed<Profile>("/v1/users/me"),
  updateProfile: (fields: Partial<Omit<Profile, "id" | "photoUrl" | "deactivated">>) =>
    authed<Profile>("/v1/users/me", { method: "PATCH", body: fields }),
  taxonomy: () => authed<Taxonomy>("/v1/users/interests"),
  preferences: () => authed<Preferences>("/v1/users/me/preferences"),
  savePreferences: (prefs: Preferences) =>
    authed<Preferences>("/v1/users/me/preferences", { method: "PUT", body: prefs }),
  uploadPhoto: (file: Blob) => {
    const form = new FormData();
    form.append("photo", file, file instanceof File ? file.name : "photo");
    return authed<{ photoUrl: string }>("/v1/users/me/photo", { method: "POST", body: form });
  },
  deletePhoto: () => authed("/v1/users/me/photo", { method: "DELETE" }),
  chatPrivacy: () => authed<ChatPrivacy>("/v1/chats/settings"),
  saveChatPrivacy: (fields: Partial<ChatPrivacy>) =>
    authed<ChatPrivacy>("/v1/chats/settings", { method: "PATCH", body: fields }),
  blocks: () => authed<{ blocks: Block[] }>("/v1/users/me/blocks"),
  unblock: (userId: string) =>
    authed(`/v1/users/me/blocks/${encodeURIComponent(userId)}`, { method: "DELETE" }),
  exportData: () => authed<Record<string, unknown>>("/v1/users/me/export"),
  deactivate: () => authed<Profile>("/v1/users/me/deactivate", { method: "POST" }),
  reactivate: () => authed<Profile>("/v1/users/me/reactivate", { method: "POST" }),
  deleteAccount: () => authed("/v1/users/me", { method: "DELETE" }),
};

/**
 * A photo the API serves only to a signed-in caller: an <img> cannot send the bearer token,
 * so it is fetched here and shown from a blob: URL (which the caller revokes).
 */
export async function photoObjectUrl(path: string): Promise<string> {
  const fetchOnce = () =>
    // No cache: a new photo keeps the same address, and the old one must not linger.
    fetch(path, { cache: "no-store", headers: { Authorization: `Bearer ${session.token ?? ""}` } });
  let response = await fetchOnce();
  if (response.status === 401 && session.refreshToken) {
    await renew();
    response = await fetchOnce();
  }
  if (!response.ok) throw new ApiError(response.status, "PHOTO", "The photo could not be loaded.");
  return URL.createObjectURL(await response.blob());
}

/**
 * Signs this tab out: the server ends the session's tokens, then the tab forgets them and
 * goes to `to`, in one step (else the app frame would send it to sign-in first).
 */
export async function signOut(to = "/welcome"): Promise<void> {
  try {
    await accountApi.logout();
  } catch {
    // Already ended or offline: forget it here all the same.
  }
  leave(null, to);
}

/** Forgets the session and shows `to` at once. */
export function leave(reason: string | null, to: string): void {
  session.clear(reason);
  navigate(to, { replace: true });
}
