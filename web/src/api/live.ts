// The live connection (/v1/ws): one per signed-in tab, shared by every screen.
//
// Frames are {"type", "data"}. The access token travels as a "bearer.<token>" subprotocol
// beside "disco.v1", so it never appears in a URL or an access log. Screens listen with
// `onFrame(type, handler)` and read `liveState` to show "reconnecting".

import { effect, signal } from "@preact/signals";
import { renew } from "./client";
import { current, session } from "./session";

const SUBPROTOCOL = "disco.v1";
const CLOSE_UNAUTHORIZED = 4401;
const MAX_BACKOFF_MS = 30_000;
// The server closes a socket that stays silent too long (its "ready" frame says how long);
// a quiet page is not a gone one, so it pings well within that.
const HEARTBEAT_MS = 25_000;

export type LiveState = "connecting" | "connected" | "disconnected";

export interface Frame<T = Record<string, unknown>> {
  type: string;
  data: T;
}

/** The connection's state, and when the next attempt is due while disconnected. */
export const liveState = signal<LiveState>("disconnected");
export const retryAt = signal<number | null>(null);

type Handler = (data: Record<string, unknown>, frame: Frame) => void;
const handlers = new Map<string, Set<Handler>>();

/** Calls `handler` for every frame of `type` ("*" for all); returns the unsubscribe function. */
export function onFrame(type: string, handler: Handler): () => void {
  let set = handlers.get(type);
  if (!set) {
    set = new Set();
    handlers.set(type, set);
  }
  set.add(handler);
  return () => set.delete(handler);
}

let socket: WebSocket | null = null;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let heartbeat: ReturnType<typeof setInterval> | undefined;
let failures = 0;

function beat(everyMs: number): void {
  clearInterval(heartbeat);
  heartbeat = setInterval(() => send("ping", { heartbeat: true }), everyMs);
}

function dispatch(frame: Frame): void {
  for (const key of [frame.type, "*"]) {
    for (const handler of handlers.get(key) ?? []) handler(frame.data ?? {}, frame);
  }
}

export function connect(): void {
  if (socket || !session.signedIn) return;
  clearTimeout(retryTimer);
  retryAt.value = null;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const opened = new WebSocket(`${scheme}://${location.host}/v1/ws`, [
    SUBPROTOCOL,
    `bearer.${session.token}`,
  ]);
  socket = opened;
  liveState.value = "connecting";
  let wasOpen = false;
  opened.addEventListener("open", () => {
    wasOpen = true;
    failures = 0;
    beat(HEARTBEAT_MS);
    liveState.value = "connected";
  });
  opened.addEventListener("message", (event) => {
    let frame: Frame;
    try {
      frame = JSON.parse(String(event.data)) as Frame;
    } catch {
      return;
    }
    const idle = frame?.type === "ready" ? Number(frame.data?.idleTimeoutSeconds) : 0;
    if (idle > 0) beat(Math.max(5_000, (idle * 1000) / 3));
    dispatch(frame);
  });
  opened.addEventListener("close", (event) => void closed(opened, event, wasOpen));
}

export function disconnect(): void {
  clearTimeout(retryTimer);
  clearInterval(heartbeat);
  retryAt.value = null;
  const open = socket;
  socket = null;
  open?.close(1000, "bye");
  liveState.value = "disconnected";
}

/** Sends a frame; false when there is no open connection to send it on. */
export function send(type: string, data: Record<string, unknown> = {}): boolean {
  if (socket?.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify({ type, data }));
  return true;
}

async function closed(closing: WebSocket, event: CloseEvent, wasOpen: boolean): Promise<void> {
  if (closing !== socket) return; // closed on purpose, or replaced
  socket = null;
  clearInterval(heartbeat);
  failures += 1;
  // Cut off because its token expired, or refused at the handshake (which a page cannot tell
  // apart from an unreachable server): renew the token before trying again. A revoked
  // session fails to renew and signs the tab out.
  if (event.code === CLOSE_UNAUTHORIZED || !wasOpen) {
    try {
      await renew();
    } catch {
      // Signed out by the failed renewal, or offline: the back-off below decides.
    }
    if (socket) return; // the renewal already opened a fresh one
  }
  liveState.value = "disconnected";
  if (!session.signedIn) return;
  const wait = Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures);
  retryAt.value = Date.now() + wait;
  retryTimer = setTimeout(connect, wait);
}

// The socket belongs to the session: it opens on sign-in, follows token renewals (an open
// socket would be closed when the old token expires) and closes on sign-out.
let lastToken: string | null = null;
effect(() => {
  const token = current.value?.token ?? null;
  if (token === lastToken) return;
  lastToken = token;
  if (!token) disconnect();
  else if (!send("auth", { token })) connect();
});

/** Reconnects at once (the "retry now" button while offline). */
export function reconnectNow(): void {
  disconnect();
  connect();
}
