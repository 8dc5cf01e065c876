// The heartbeat of a meetup under way: while it runs, the app tells the server every couple
// of minutes that the phone is still alive (with where it is, when the browser says). If the
// heartbeats stop for too long, the server tells the person's emergency contacts.
// It runs whatever screen is showing, and picks up again after a reload of the tab.

import { signal } from "@preact/signals";
import { ApiError, messageOf } from "../../api/client";
import { safetyApi } from "./api";
import { currentPosition } from "./geo";

export const HEARTBEAT_MS = 120_000;
const KEY = "disco.safety.heartbeat";

/** The check-in whose meetup is under way, when the last beat went, and any trouble. */
export const beating = signal<{ id: string; lastAt: number | null; problem: string | null } | null>(
  null,
);
let timer: ReturnType<typeof setInterval> | undefined;

async function beat(id: string): Promise<void> {
  const position = await currentPosition(10_000).catch(() => undefined);
  try {
    await safetyApi.heartbeat(id, position);
    if (beating.value?.id === id) beating.value = { id, lastAt: Date.now(), problem: null };
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      stopHeartbeat(); // the check-in ended (confirmed or cancelled elsewhere)
    } else if (beating.value?.id === id) {
      beating.value = { ...beating.value, problem: messageOf(error) };
    }
  }
}

export function startHeartbeat(id: string): void {
  stopHeartbeat();
  sessionStorage.setItem(KEY, id);
  beating.value = { id, lastAt: null, problem: null };
  void beat(id);
  timer = setInterval(() => void beat(id), HEARTBEAT_MS);
}

export function stopHeartbeat(): void {
  clearInterval(timer);
  sessionStorage.removeItem(KEY);
  beating.value = null;
}

/** After a reload: the meetup that was under way in this tab goes on beating. */
export function resumeHeartbeat(): void {
  const id = sessionStorage.getItem(KEY);
  if (id && !beating.value) startHeartbeat(id);
}
