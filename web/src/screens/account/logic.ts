// The account area's pure logic: distances, interest suggestions, where to go after sign-in.

import type { Taxonomy, Weekday } from "./api";

const METERS_PER_FOOT = 0.3048;
const FEET_PER_MILE = 5280;
export const MIN_RADIUS_METERS = 30; // 100 ft
export const MAX_RADIUS_METERS = 1609; // a mile
export const MIN_RADIUS_FEET = 100;
export const MAX_RADIUS_FEET = FEET_PER_MILE;
export const RADIUS_STEP_FEET = 50;

/** The radius slider works in feet (what a person reads); the API takes meters. */
export function metersFromFeet(feet: number): number {
  const meters = Math.round(feet * METERS_PER_FOOT);
  return Math.min(MAX_RADIUS_METERS, Math.max(MIN_RADIUS_METERS, meters));
}

export function feetFromMeters(meters: number): number {
  const feet = meters / METERS_PER_FOOT;
  const stepped = Math.round(feet / RADIUS_STEP_FEET) * RADIUS_STEP_FEET;
  return Math.min(MAX_RADIUS_FEET, Math.max(MIN_RADIUS_FEET, stepped));
}

/** "350 ft", "0.4 mi", "1 mile": feet below a fifth of a mile, miles from there. */
export function describeFeet(feet: number): string {
  if (feet < 1000) return `${Math.round(feet)} ft`;
  const miles = Math.round((feet / FEET_PER_MILE) * 100) / 100;
  if (miles === 1) return "1 mile";
  return `${miles} mi`;
}

export function describeMeters(meters: number): string {
  return describeFeet(feetFromMeters(meters));
}

/** An interest as the server stores it: folded, single-spaced, without a leading "#". */
export function normaliseInterest(raw: string): string {
  return raw
    .normalize("NFKC")
    .toLowerCase()
    .trim()
    .replace(/^#+/, "")
    .replace(/_/g, " ")
    .split(/\s+/)
    .filter(Boolean)
    .join(" ");
}

/**
 * Suggestions for what a person is typing: curated tags that start with it first, then those
 * that contain it, then synonyms' targets ("soccer" suggests "football"); never one already
 * chosen.
 */
export function suggestInterests(
  typed: string,
  taxonomy: Pick<Taxonomy, "categories" | "synonyms">,
  chosen: readonly string[],
  limit = 6,
): string[] {
  const query = normaliseInterest(typed);
  if (!query) return [];
  const all = Object.values(taxonomy.categories).flat();
  const taken = new Set(chosen);
  const starts = all.filter((tag) => tag.startsWith(query) || tag.includes(` ${query}`));
  const contains = all.filter((tag) => tag.includes(query));
  const viaSynonym = Object.entries(taxonomy.synonyms)
    .filter(([word]) => word.startsWith(query))
    .map(([, target]) => target);
  const ordered = [...new Set([...starts, ...contains, ...viaSynonym])];
  return ordered.filter((tag) => !taken.has(tag)).slice(0, limit);
}

/** A tag typed freely, resolved through the synonyms ("Soccer" -> "football"). */
export function resolveInterest(typed: string, synonyms: Record<string, string>): string {
  const tag = normaliseInterest(typed);
  return synonyms[tag] ?? tag;
}

/** "quick_chat" -> "Quick chat". */
export function activityLabel(activity: string): string {
  const words = activity.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Where a sign-in goes next: the `?next=` the app frame sent, if it is a path inside the app
 * (never another site, never back to a signed-out screen), else Discover.
 */
export function nextPath(next: string | null, fallback = "/discover"): string {
  if (!next?.startsWith("/") || next.startsWith("//")) return fallback;
  const path = next.split("?")[0] ?? "";
  const signedOutOnly = ["/welcome", "/signup", "/login", "/forgot-password"];
  if (signedOutOnly.includes(path) || path === "/") return fallback;
  return next;
}

export const WEEKDAYS: { day: Weekday; short: string; long: string }[] = [
  { day: "mon", short: "Mon", long: "Monday" },
  { day: "tue", short: "Tue", long: "Tuesday" },
  { day: "wed", short: "Wed", long: "Wednesday" },
  { day: "thu", short: "Thu", long: "Thursday" },
  { day: "fri", short: "Fri", long: "Friday" },
  { day: "sat", short: "Sat", long: "Saturday" },
  { day: "sun", short: "Sun", long: "Sunday" },
];

/** "Mon–Fri", "Sat, Sun", "Every day": a time window's days as a person says them. */
export function describeDays(days: readonly Weekday[]): string {
  const order = WEEKDAYS.map((w) => w.day);
  const sorted = [...days].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (sorted.length === 7) return "Every day";
  const indexes = sorted.map((d) => order.indexOf(d));
  const consecutive = indexes.every((n, i) => i === 0 || n === (indexes[i - 1] ?? -2) + 1);
  const short = (d: Weekday) => WEEKDAYS.find((w) => w.day === d)?.short ?? d;
  if (consecutive && sorted.length >= 3) {
    return `${short(sorted[0] as Weekday)}–${short(sorted[sorted.length - 1] as Weekday)}`;
  }
  return sorted.map(short).join(", ");
}

/** Initials for an avatar without a photo. */
export function initials(first: string, last = ""): string {
  return `${first.trim().charAt(0)}${last.trim().charAt(0)}`.toUpperCase() || "?";
}

type Audience = "nearby" | "match";
type DisclosureField = "lastName" | "bio" | "photo" | "allInterests" | "activities";
type Visible = Record<Audience, Record<DisclosureField, boolean>>;

/**
 * Shows or hides one field from one audience, keeping the server's rule that a match sees at
 * least what a stranger nearby sees: showing strangers shows matches too, hiding from
 * matches hides from strangers too.
 */
export function disclose<V extends Visible>(
  visibility: V,
  audience: Audience,
  field: DisclosureField,
  shown: boolean,
): V {
  const next = {
    ...visibility,
    nearby: { ...visibility.nearby },
    match: { ...visibility.match },
  };
  next[audience][field] = shown;
  if (audience === "nearby" && shown) next.match[field] = true;
  if (audience === "match" && !shown) next.nearby[field] = false;
  return next;
}
