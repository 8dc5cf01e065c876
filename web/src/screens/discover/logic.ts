// Pure rules of the Discover area: buckets and where the radar draws them, the switch's end
// time, what a refused location fix means to a person. Unit-tested in logic.test.ts.

import { timeOfDay } from "../../ui/format";

/** The server's distance buckets, nearest first (match/engine/geo.py BUCKETS). */
export const BUCKETS = ["within 500 ft", "within ¼ mile", "within ½ mile", "within 1 mile"];
/** Short ring labels for the radar. */
export const RING_LABELS = ["500 ft", "¼ mi", "½ mi", "1 mi"];

/** The ring (0 = nearest) a bucket label belongs on; an unknown label goes on the outermost. */
export function ringOf(bucket: string): number {
  const index = BUCKETS.indexOf(bucket.trim());
  return index === -1 ? BUCKETS.length - 1 : index;
}

/** FNV-1a, 32 bits: a stable, well-spread number from a string. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The angle (degrees, 0..360) at which the radar draws someone. It comes from a hash of the
 * viewer's and the other person's ids only, so it says nothing about direction: nobody's
 * position is known to the client, and none is suggested.
 */
export function angleFor(viewerId: string, userId: string): number {
  // Clear of the top, where the rings' labels are.
  return 25 + (hash(`${viewerId}:${userId}`) % 3100) / 10;
}

export interface Dot {
  userId: string;
  name: string;
  ring: number;
  x: number;
  y: number;
}

/** The radius of a bucket's ring: evenly spaced (buckets are ordinal, not to scale), the
 * nearest one clear of the "You" mark in the middle. */
export function ringRadius(ring: number, radius: number): number {
  const inner = radius / 3;
  return inner + ((radius - inner) * ring) / (BUCKETS.length - 1);
}

/**
 * Where each person's dot goes on a radar around (0, 0) with the outer ring at `radius`. Dots
 * on one ring closer than `minGap` degrees are nudged apart so none hides another.
 */
export function placeDots(
  viewerId: string,
  people: { userId: string; name: string; distance: string }[],
  radius: number,
  minGap = 24,
): Dot[] {
  const byRing = new Map<number, { userId: string; name: string; angle: number }[]>();
  for (const person of people) {
    const ring = ringOf(person.distance);
    const list = byRing.get(ring) ?? [];
    list.push({
      userId: person.userId,
      name: person.name,
      angle: angleFor(viewerId, person.userId),
    });
    byRing.set(ring, list);
  }
  const dots: Dot[] = [];
  for (const [ring, list] of byRing) {
    list.sort((a, b) => a.angle - b.angle);
    const gap = Math.min(minGap, 310 / list.length);
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1];
      const item = list[i];
      if (before && item && item.angle - before.angle < gap) item.angle = before.angle + gap;
    }
    const r = ringRadius(ring, radius);
    for (const item of list) {
      const rad = ((item.angle - 90) * Math.PI) / 180;
      dots.push({
        userId: item.userId,
        name: item.name,
        ring,
        x: Math.round(r * Math.cos(rad) * 10) / 10,
        y: Math.round(r * Math.sin(rad) * 10) / 10,
      });
    }
  }
  return dots;
}

/** How long discovery stays on: until switched off, for a while, or until a time of day. */
export type Span =
  | { kind: "open" }
  | { kind: "hours"; hours: number }
  | { kind: "at"; time: string };

/**
 * When discovery should switch itself off, or null for "until I turn it off". A time of day
 * already past today means tomorrow at that time (the server allows up to 24 hours ahead).
 */
export function untilFor(span: Span, now: Date): Date | null {
  if (span.kind === "open") return null;
  if (span.kind === "hours") return new Date(now.getTime() + span.hours * 3_600_000);
  const [hours, minutes] = span.time.split(":").map(Number);
  if (hours === undefined || minutes === undefined || Number.isNaN(hours + minutes)) return null;
  const at = new Date(now);
  at.setHours(hours, minutes, 0, 0);
  if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
  return at;
}

/** "22:00", or "tomorrow 08:30" when the time is on another day than `now`. */
export function clockText(at: Date, now: Date): string {
  const time = timeOfDay(at);
  return at.toDateString() === now.toDateString() ? time : `tomorrow ${time}`;
}

/** What a location fix the server did not use means, in a person's words. */
export function refusalText(reason: string | null | undefined, accuracy?: number | null): string {
  switch (reason) {
    case "inaccurate":
      return `Your location is too rough to use right now${
        accuracy ? ` (accurate to about ${Math.round(accuracy)} m)` : ""
      }. Moving near a window or outdoors usually helps; we keep trying.`;
    case "stale":
      return "Your last location fix was too old to use. Waiting for a fresh one.";
    case "implausible":
      return "Your location jumped further than anyone could travel that fast, so it was not used. It settles once your device has a steady fix.";
    case "privacy_zone":
      return "You are inside one of your privacy zones, so nobody can discover you here. You can change your zones under Me.";
    case "outside_time_window":
      return "You are outside the discovery hours you chose, so nobody sees you right now. You can change them under Me.";
    case "profile_pending":
      return "Your profile is still being set up for discovery. This takes a few seconds.";
    default:
      return `Your location was not used${reason ? ` (${reason.replaceAll("_", " ")})` : ""}.`;
  }
}

/** A public event's distance in the app's units, rounded so it reads at a glance. */
export function eventDistance(meters: number | null | undefined): string | null {
  if (meters === null || meters === undefined) return null;
  const feet = meters / 0.3048;
  if (feet < 1000) return `${Math.max(50, Math.round(feet / 50) * 50)} ft away`;
  const miles = meters / 1609.344;
  return `${miles < 10 ? miles.toFixed(1) : Math.round(miles)} mi away`;
}
