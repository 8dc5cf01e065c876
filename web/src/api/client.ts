// Calls to the Disco API through the gateway, renewing the access token when it runs out.
//
// Every screen talks to the API through `call` (anonymous) or `authed` (as the signed-in
// person); an error answer becomes an ApiError whose message is fit to show a person.

import { effect } from "@preact/signals";
import { current, session, type TokenPair } from "./session";

/** One field's problem, from a 422 answer's details. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** An error answer from the API: {"error": {"code", "message", "details"}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The problems per field of a validation error (422), keyed by the field's last name. */
  get fields(): FieldProblem[] {
    const details = this.details;
    if (!Array.isArray(details)) return [];
    return details.flatMap((item: unknown) => {
      if (typeof item !== "object" || item === null) return [];
      const { loc, field, msg, message } = item as Record<string, unknown>;
      const path = Array.isArray(loc) ? loc : typeof field === "string" ? field.split(".") : [];
      const name = String(path[path.length - 1] ?? "");
      const text = String(msg ?? message ?? "");
      return name && text ? [{ field: name, message: text }] : [];
    });
  }
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Options {
  method?: Method;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

async function send(path: string, options: Options, token?: string | null): Promise<unknown> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  const isForm = options.body instanceof FormData;
  if (options.body !== undefined && !isForm) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? "GET",
      headers,
      signal: options.signal,
      body:
        options.body === undefined
          ? undefined
          : isForm
            ? (options.body as FormData)
            : JSON.stringify(options.body),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "OFFLINE", "Disco cannot be reached. Check your connection.");
  }
  if (response.status === 204) return null;
  const payload = (await response.json().catch(() => null)) as {
    error?: { code?: string; message?: string; details?: unknown };
  } | null;
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

let renewal: Promise<void> | null = null;

/**
 * Trades the refresh token for a new pair. One at a time: a refresh token works once, and
 * presenting it twice would make the server end the whole session as a suspected theft.
 */
export function renew(): Promise<void> {
  renewal ??= (async () => {
    try {
      const pair = (await send("/v1/auth/refresh", {
        method: "POST",
        body: { refreshToken: session.refreshToken },
      })) as TokenPair;
      session.save(pair);
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
export function call<T = unknown>(path: string, options: Options = {}): Promise<T> {
  return send(path, options) as Promise<T>;
}

/** A call as the signed-in person; an expired access token is renewed once and the call retried. */
export async function authed<T = unknown>(path: string, options: Options = {}): Promise<T> {
  if (!session.signedIn) throw new ApiError(401, "UNAUTHORIZED", "Please sign in first.");
  if (session.renewIn === 0) await renew();
  try {
    return (await send(path, options, session.token)) as T;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || !session.refreshToken) throw error;
    await renew();
    return (await send(path, options, session.token)) as T;
  }
}

/** A readable sentence for any error a call can throw. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Please try again.";
}

// Renew ahead of expiry so a long-open page (and its socket) never holds a dead token.
let timer: ReturnType<typeof setTimeout> | undefined;
effect(() => {
  current.value; // re-schedule whenever the session changes
  clearTimeout(timer);
  if (session.signedIn) timer = setTimeout(() => renew().catch(() => {}), session.renewIn);
});
