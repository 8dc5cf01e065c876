// Discovery mode and the position it shares, app-wide: once switched on, the browser's fixes go
// to the server whatever screen is showing (so someone coming into range is noticed anywhere),
// until the person switches it off, its end time passes or they sign out.
//
// Fixes go as `POST /v1/location` rather than the socket's `location_update` frame: only the
// HTTP answer says whether a fix was used (`{accepted: false, reason}`), and a person must be
// told why nobody can see them rather than be shown an empty radar.

import { effect, signal } from "@preact/signals";
import { ApiError, authed, messageOf } from "../../api/client";
import { current } from "../../api/session";
import type { DiscoveryState, LocationAck } from "./model";

export type FixState =
  | { kind: "idle" }
  | { kind: "locating" }
  | { kind: "denied" }
  | { kind: "unavailable"; message: string }
  | { kind: "accepted"; accuracy: number | null; at: number }
  | { kind: "refused"; reason: string | null; accuracy: number | null }
  | { kind: "failed"; message: string };

/** null while the state is being read. */
export const discovery = signal<DiscoveryState | null>(null);
export const discoveryError = signal<string | null>(null);
export const fix = signal<FixState>({ kind: "idle" });
/** The browser's geolocation permission, where it says ("unsupported": no geolocation). */
export const permission = signal<PermissionState | "unsupported" | null>(null);

// Presence forgets a silent person after two minutes; a still phone sends no new fixes, so the
// last one is repeated well within that.
const RESEND_MS = 20_000;
// A profile that has not reached matching yet is a matter of seconds: ask again soon.
const PENDING_RETRY_MS = 2_000;
// Fixes closer together than this are not all sent (watchPosition can fire many a second).
const MIN_GAP_MS = 3_000;

interface Position {
  latitude: number;
  longitude: number;
  accuracy: number | null;
}

let watchId: number | null = null;
let last: Position | null = null;
let lastSent = 0;
let resend: ReturnType<typeof setInterval> | undefined;
let retry: ReturnType<typeof setTimeout> | undefined;
let ending: ReturnType<typeof setTimeout> | undefined;
let sending = false;

function geo(): Geolocation | null {
  return "geolocation" in navigator ? navigator.geolocation : null;
}

/** Reads the geolocation permission and follows its changes. */
async function watchPermission(): Promise<void> {
  if (!geo()) {
    permission.value = "unsupported";
    return;
  }
  try {
    const status = await navigator.permissions.query({ name: "geolocation" });
    permission.value = status.state;
    status.addEventListener("change", () => {
      permission.value = status.state;
    });
  } catch {
    permission.value = null; // the browser will not say; asking will tell
  }
}

function positionOf(p: GeolocationPosition): Position {
  const accuracy = p.coords.accuracy;
  return {
    latitude: p.coords.latitude,
    longitude: p.coords.longitude,
    // The API takes a positive accuracy or none; some devices (and emulators) report 0.
    accuracy: Number.isFinite(accuracy) && accuracy > 0 ? accuracy : null,
  };
}

async function send(): Promise<void> {
  const position = last;
  if (!position || sending || !discovery.value?.enabled) return;
  sending = true;
  lastSent = Date.now();
  clearTimeout(retry);
  try {
    const body: Record<string, number> = {
      latitude: position.latitude,
      longitude: position.longitude,
    };
    if (position.accuracy !== null) body.accuracy = position.accuracy;
    const ack = await authed<LocationAck>("/v1/location", { method: "POST", body });
    if (ack.accepted) {
      fix.value = { kind: "accepted", accuracy: position.accuracy, at: Date.now() };
    } else {
      fix.value = { kind: "refused", reason: ack.reason ?? null, accuracy: position.accuracy };
      if (ack.reason === "profile_pending") retry = setTimeout(() => void send(), PENDING_RETRY_MS);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      // Discovery went off meanwhile (its end time passed, or another device turned it off).
      await loadDiscovery();
    } else if (!(error instanceof ApiError && error.status === 429)) {
      fix.value = { kind: "failed", message: messageOf(error) };
    }
  } finally {
    sending = false;
  }
}

function startWatching(): void {
  const g = geo();
  if (!g) {
    fix.value = { kind: "unavailable", message: "This browser cannot share a location." };
    return;
  }
  if (watchId !== null) return;
  if (fix.value.kind === "idle") fix.value = { kind: "locating" };
  watchId = g.watchPosition(
    (p) => {
      last = positionOf(p);
      if (Date.now() - lastSent >= MIN_GAP_MS) void send();
    },
    (error) => {
      if (error.code === error.PERMISSION_DENIED) {
        fix.value = { kind: "denied" };
        permission.value = "denied";
      } else if (!last) {
        fix.value = {
          kind: "unavailable",
          message: "Your device has not found your location yet. We keep trying.",
        };
      }
    },
    { enableHighAccuracy: true, maximumAge: 15_000 },
  );
  clearInterval(resend);
  resend = setInterval(() => void send(), RESEND_MS);
}

function stopWatching(): void {
  if (watchId !== null) geo()?.clearWatch(watchId);
  watchId = null;
  last = null;
  clearInterval(resend);
  clearTimeout(retry);
  fix.value = { kind: "idle" };
}

function apply(state: DiscoveryState): void {
  discovery.value = state;
  clearTimeout(ending);
  if (!state.enabled) {
    stopWatching();
    return;
  }
  startWatching();
  if (state.until) {
    // Read the state again once it should have ended, so the switch shows it off.
    const wait = new Date(state.until).getTime() - Date.now() + 1_000;
    ending = setTimeout(() => void loadDiscovery(), Math.max(1_000, Math.min(wait, 2 ** 31 - 1)));
  }
}

let reading: Promise<void> | null = null;

/** Reads whether discovery is on (and starts or stops sharing the position to match). */
export function loadDiscovery(): Promise<void> {
  reading ??= (async () => {
    try {
      apply(await authed<DiscoveryState>("/v1/discovery"));
      discoveryError.value = null;
    } catch (error) {
      discoveryError.value = messageOf(error);
    } finally {
      reading = null;
    }
  })();
  return reading;
}

/** Asks the browser for a position once: the permission prompt, where it is still to come. */
function askPosition(): Promise<Position | "denied" | null> {
  const g = geo();
  if (!g) return Promise.resolve(null);
  return new Promise((resolve) => {
    g.getCurrentPosition(
      (p) => resolve(positionOf(p)),
      (error) => resolve(error.code === error.PERMISSION_DENIED ? "denied" : null),
      { enableHighAccuracy: true, maximumAge: 60_000, timeout: 20_000 },
    );
  });
}

/**
 * Switches discovery on (until `until`, or until switched off). The location permission is
 * asked first: without it nobody could discover the person, so discovery stays off and the
 * screen explains how to allow it.
 */
export async function switchOn(until: Date | null): Promise<void> {
  fix.value = { kind: "locating" };
  const position = await askPosition();
  if (position === "denied") {
    permission.value = "denied";
    fix.value = { kind: "denied" };
    return;
  }
  try {
    const state = await authed<DiscoveryState>("/v1/discovery", {
      method: "PUT",
      body: until ? { enabled: true, until: until.toISOString() } : { enabled: true },
    });
    if (position) last = position;
    apply(state);
    void send();
  } catch (error) {
    fix.value = { kind: "idle" };
    throw error;
  }
}

export async function switchOff(): Promise<void> {
  apply(await authed<DiscoveryState>("/v1/discovery", { method: "PUT", body: { enabled: false } }));
}

let started = false;

/** Called once at start-up: follows the session (read the state on sign-in, stop on sign-out). */
export function startLocation(): void {
  if (started) return;
  started = true;
  void watchPermission();
  let userId: string | null = null;
  effect(() => {
    const id = current.value?.user.id ?? null;
    if (id === userId) return;
    userId = id;
    stopWatching();
    discovery.value = null;
    if (id) void loadDiscovery();
  });
}
