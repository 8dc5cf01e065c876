// Pure helpers of the chat screens: times, days, presence, receipts, safety-number groups.
// Kept free of the DOM so they are unit-tested in node.

import { daysBetween, plural, timeOfDay } from "../../ui/format";

/** The day separator: "Today", "Yesterday", a weekday within the week, else the date. */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  const days = daysBetween(then, now);
  if (days <= 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days < 7) return then.toLocaleDateString([], { weekday: "long" });
  return then.toLocaleDateString([], {
    day: "numeric",
    month: "long",
    year: then.getFullYear() === now.getFullYear() ? undefined : "numeric",
  });
}

/** A chat's last activity in the match list: a time today, else "Yesterday", else a date. */
export function listTime(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  const days = daysBetween(then, now);
  if (days <= 0) return timeOfDay(iso);
  if (days === 1) return "Yesterday";
  if (days < 7) return then.toLocaleDateString([], { weekday: "short" });
  return then.toLocaleDateString([], { day: "numeric", month: "short" });
}

/**
 * What to say of someone's presence: null when it is not shared (either of the two keeps
 * presence to themselves), "Online", or when they were last seen.
 */
export function presenceText(
  online: boolean | null | undefined,
  lastSeen: string | null | undefined,
  now: Date = new Date(),
): string | null {
  if (online === null || online === undefined) return null;
  if (online) return "Online";
  if (!lastSeen) return "Offline";
  const then = new Date(lastSeen);
  const minutes = Math.floor((now.getTime() - then.getTime()) / 60_000);
  if (minutes < 1) return "Last seen just now";
  if (minutes < 60) return `Last seen ${minutes} min ago`;
  const days = daysBetween(then, now);
  if (days <= 0) return `Last seen today at ${timeOfDay(lastSeen)}`;
  if (days === 1) return `Last seen yesterday at ${timeOfDay(lastSeen)}`;
  return `Last seen ${then.toLocaleDateString([], { day: "numeric", month: "short" })}`;
}

/** "24 hours", "1 hour", "5 minutes": a disappearing-message timer. */
export function durationText(seconds: number): string {
  if (seconds % 86400 === 0) return plural(seconds / 86400, "day");
  if (seconds >= 3600 && seconds % 3600 === 0) return plural(seconds / 3600, "hour");
  if (seconds >= 60) return plural(Math.round(seconds / 60), "minute");
  return plural(seconds, "second");
}

/** How far a message of mine has got, from the peer's receipts. */
export type Receipt = "sent" | "delivered" | "read";

export function receiptOf(
  seq: number,
  peerDeliveredSeq: number,
  peerReadSeq: number | null | undefined,
): Receipt {
  if (peerReadSeq !== null && peerReadSeq !== undefined && seq <= peerReadSeq) return "read";
  if (seq <= peerDeliveredSeq) return "delivered";
  return "sent";
}

/** The 60 digits of a safety number as the 12 groups of 5 people read aloud. */
export function digitGroups(digits: string): string[] {
  const clean = digits.replace(/\D/g, "");
  const groups: string[] = [];
  for (let i = 0; i < clean.length; i += 5) groups.push(clean.slice(i, i + 5));
  return groups;
}

interface Sequenced {
  id: string;
  seq: number;
}

/** Messages merged by id (a later copy wins) and ordered by their room sequence. */
export function mergeMessages<T extends Sequenced>(current: T[], incoming: T[]): T[] {
  const byId = new Map<string, T>();
  for (const item of current) byId.set(item.id, item);
  for (const item of incoming) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** Whether a day separator goes before message `index` (the first, or a new local day). */
export function startsDay(items: { sentAt: string }[], index: number): boolean {
  if (index === 0) return true;
  const before = items[index - 1];
  const item = items[index];
  if (!before || !item) return false;
  return daysBetween(new Date(before.sentAt), new Date(item.sentAt)) !== 0;
}

/**
 * Whether message `index` is followed by one from the same sender within a minute: then the
 * two read as one run and only the run's last bubble shows its time.
 */
export function runsOn(items: { senderId: string; sentAt: string }[], index: number): boolean {
  const item = items[index];
  const next = items[index + 1];
  if (!item || !next || next.senderId !== item.senderId) return false;
  return new Date(next.sentAt).getTime() - new Date(item.sentAt).getTime() < 60_000;
}
