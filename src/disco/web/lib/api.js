// Calls to the Disco API through the gateway, renewing the access token when it runs out.

import { session } from "./session.js";

/** An error answer from the API: {"error": {"code", "message", "details"}}. */
export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function send(path, { method = "GET", body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = payload?.error ?? {};
    throw new ApiError(
      response.status,
      error.code ?? "HTTP_ERROR",
      error.message ?? `The request failed (HTTP ${response.status}).`,
      error.details ?? null,
    );
  }
  return payload;
}

let renewal = null;

/**
 * Trades the refresh token for a new pair. One at a time: a refresh token works once, and
 * presenting it twice would make the server end the whole session as a suspected theft.
 */
export function renew() {
  renewal ??= (async () => {
    try {
      session.save(
        await send("/v1/auth/refresh", {
          method: "POST",
          body: { refreshToken: session.refreshToken },
        }),
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        session.clear("Your session has ended. Please sign in again.");
      }
      throw error;
    } finally {
      renewal = null;
    }
  })();
  return renewal;
}

/** An anonymous call (sign-up, login, password reset...). */
export function call(path, options = {}) {
  return send(path, options);
}

/** A call as the signed-in user; an expired access token is renewed once and the call retried. */
export async function authed(path, options = {}) {
  if (!session.signedIn) throw new ApiError(401, "UNAUTHORIZED", "Please sign in first.");
  if (session.renewIn === 0) await renew();
  try {
    return await send(path, { ...options, token: session.token });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || !session.refreshToken) throw error;
    await renew();
    return send(path, { ...options, token: session.token });
  }
}

// Renew ahead of expiry so a long-open page (and its socket) never holds a dead token.
let timer = null;
function schedule() {
  clearTimeout(timer);
  if (session.signedIn) timer = setTimeout(() => renew().catch(() => {}), session.renewIn);
}
session.addEventListener("change", schedule);
schedule();
