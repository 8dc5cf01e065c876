// The browser's position, as a promise or a watch, with reasons a person can act on; and the
// arithmetic the safety screens need on positions (pure, unit-tested).

import type { Position } from "./api";

const EARTH_RADIUS_M = 6_371_000;

/** The great-circle distance between two positions, in metres. */
export function metersBetween(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Send a new fix during an alert when the person moved, or the last one is getting old. */
export const RESEND_MOVED_M = 10;
export const RESEND_AFTER_MS = 30_000;

export function worthSending(
  last: { at: number; position: Position } | null,
  next: Position,
  now: number,
): boolean {
  if (!last) return true;
  return metersBetween(last.position, next) >= RESEND_MOVED_M || now - last.at >= RESEND_AFTER_MS;
}

/** "45.76420, 4.83570": five decimals, about a metre. */
export function formatPosition(p: Position): string {
  return `${p.latitude.toFixed(5)}, ${p.longitude.toFixed(5)}`;
}

/** Reads "45.7642, 4.8357" (or with a space, or a semicolon) into a position, or null. */
export function parsePosition(text: string): Position | null {
  const parts = text
    .trim()
    .split(/[\s,;]+/)
    .filter(Boolean);
  if (parts.length !== 2) return null;
  const [latitude, longitude] = parts.map(Number) as [number, number];
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
  return { latitude, longitude };
}

function fromBrowser(fix: GeolocationPosition): Position {
  const { latitude, longitude, accuracy } = fix.coords;
  return {
    latitude,
    longitude,
    accuracyMeters: Number.isFinite(accuracy) ? Math.min(100_000, accuracy) : null,
  };
}

/** Why the browser gave no position, in words a person can act on. */
export function positionProblem(error: { code: number }): string {
  if (error.code === 1) {
    return "Disco may not use your location. Allow it in your browser's site settings.";
  }
  if (error.code === 3) return "Finding your position took too long. Try again outdoors.";
  return "Your position is not available right now.";
}

/** One fix, or a readable Error. */
export function currentPosition(timeoutMs = 15_000): Promise<Position> {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(new Error("This browser cannot tell Disco where you are."));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (fix) => resolve(fromBrowser(fix)),
      (error) => reject(new Error(positionProblem(error))),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30_000 },
    );
  });
}

/** Follows the position until the returned function is called. */
export function watchPosition(
  onPosition: (position: Position) => void,
  onProblem: (message: string) => void,
): () => void {
  if (!("geolocation" in navigator)) {
    onProblem("This browser cannot tell Disco where you are.");
    return () => {};
  }
  const id = navigator.geolocation.watchPosition(
    (fix) => onPosition(fromBrowser(fix)),
    (error) => onProblem(positionProblem(error)),
    { enableHighAccuracy: true, maximumAge: 10_000 },
  );
  return () => navigator.geolocation.clearWatch(id);
}
