// Whether the signed-in person is a moderator: from their account, or from the roles claim
// of their access token (sign-in answers carry no roles; the token does).

import type { User } from "../../api/session";

/** The roles in a JWT's payload (not verified here: the API checks them on every call). */
export function tokenRoles(token: string | null | undefined): string[] {
  const payload = token?.split(".")[1];
  if (!payload) return [];
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const roles = (JSON.parse(json) as { roles?: unknown }).roles;
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === "string") : [];
  } catch {
    return [];
  }
}

export function isModerator(user: User | null | undefined, token: string | null | undefined) {
  return (user?.roles ?? []).includes("moderator") || tokenRoles(token).includes("moderator");
}
