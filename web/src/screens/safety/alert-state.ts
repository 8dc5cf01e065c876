// The person's own emergency alert, whichever screen shows it: raised once, then kept fed with
// the phone's position until it is ended with the PIN.
//
// Ending always goes through "cancel" and the screen that follows is the same whatever PIN was
// typed: a duress PIN must look exactly like the real one to anyone watching the phone.

import { signal } from "@preact/signals";
import { ApiError, messageOf } from "../../api/client";
import { type Alert, type Position, safetyApi } from "./api";
import { currentPosition, watchPosition, worthSending } from "./geo";

export type AlertPhase =
  | { kind: "none" }
  | { kind: "locating" }
  | { kind: "failed"; message: string }
  | { kind: "active"; alert: Alert }
  | { kind: "ended" };

export const alertPhase = signal<AlertPhase>({ kind: "none" });
/** When the position was last sent, and any trouble following it. */
export const lastSent = signal<{ at: number; position: Position } | null>(null);
export const trackingProblem = signal<string | null>(null);

let stopWatching: (() => void) | null = null;
let sending = false;
// The id of the alert being raised, kept until it is raised or left behind. Every try of one
// SOS sends it (a retry after no answer, or the person's "Try again"), so an alert whose answer
// was lost on a bad network is not raised twice and the contacts are told once.
let raising: string | null = null;
// Waits before each automatic retry of a raise that got no answer (or a gateway's 502-504).
const RETRY_AFTER_MS = [1000, 2000, 4000];

function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function unanswered(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.status === 0 || (error.status >= 502 && error.status <= 504))
  );
}

async function raiseAgainUntilAnswered(position: Position, key: string): Promise<Alert> {
  for (const wait of RETRY_AFTER_MS) {
    try {
      return await safetyApi.raise(position, key);
    } catch (error) {
      if (!unanswered(error)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return safetyApi.raise(position, key);
}

function track(alert: Alert): void {
  stopTracking();
  stopWatching = watchPosition(
    (position) => void sendPosition(alert.id, position),
    (message) => {
      trackingProblem.value = message;
    },
  );
}

async function sendPosition(id: string, position: Position): Promise<void> {
  if (sending || !worthSending(lastSent.value, position, Date.now())) return;
  sending = true;
  try {
    await safetyApi.sendPosition(id, position);
    lastSent.value = { at: Date.now(), position };
    trackingProblem.value = null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      // Ended elsewhere (another device, or the safety team).
      stopTracking();
      alertPhase.value = { kind: "ended" };
    } else {
      trackingProblem.value = `Your latest position was not sent: ${messageOf(error)}`;
    }
  } finally {
    sending = false;
  }
}

function stopTracking(): void {
  stopWatching?.();
  stopWatching = null;
}

/** Raises an alert from where the phone is now. */
export async function raiseAlert(): Promise<void> {
  const phase = alertPhase.value.kind;
  if (phase === "locating" || phase === "active") return;
  alertPhase.value = { kind: "locating" };
  try {
    const position = await currentPosition();
    raising ??= newKey();
    let alert = await raiseAgainUntilAnswered(position, raising);
    // An earlier try did raise it, and it has ended since: this is a new emergency.
    if (alert.status !== "ACTIVE") {
      raising = newKey();
      alert = await raiseAgainUntilAnswered(position, raising);
    }
    raising = null;
    lastSent.value = { at: Date.now(), position };
    trackingProblem.value = null;
    alertPhase.value = { kind: "active", alert };
    track(alert);
  } catch (error) {
    alertPhase.value = { kind: "failed", message: messageOf(error) };
  }
}

/** On opening the alert screen afresh (a reload): picks up an alert still active. */
export async function resumeAlert(): Promise<void> {
  if (alertPhase.value.kind !== "none") return;
  const { alerts } = await safetyApi.alerts();
  const active = alerts.find((a) => a.status === "ACTIVE");
  if (!active || alertPhase.value.kind !== "none") return;
  alertPhase.value = { kind: "active", alert: active };
  if (active.location) lastSent.value = { at: Date.now(), position: active.location };
  track(active);
}

/** Ends the alert with the PIN; throws the API's refusal (a wrong PIN) for the form. */
export async function endAlert(pin: string): Promise<void> {
  const phase = alertPhase.value;
  if (phase.kind !== "active") return;
  await safetyApi.endAlert(phase.alert.id, pin);
  stopTracking();
  alertPhase.value = { kind: "ended" };
}

/** Leaves the ended (or failed) alert behind, ready for another. */
export function forgetAlert(): void {
  if (alertPhase.value.kind === "active" || alertPhase.value.kind === "locating") return;
  alertPhase.value = { kind: "none" };
  raising = null;
  lastSent.value = null;
  trackingProblem.value = null;
}
