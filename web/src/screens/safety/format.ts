// Times as a person reads them on the safety screens (pure, unit-tested).

import { daysBetween } from "../../ui/format";

/** "14:05" in the reader's own time zone. */
export function clockTime(iso: string, locale?: string): string {
  return new Date(iso).toLocaleTimeString(locale, { hour: "numeric", minute: "2-digit" });
}

/** "Today at 14:05", "Tomorrow at 09:30" or "Sat 12 Dec at 19:00". */
export function dayAndTime(iso: string, now: Date = new Date(), locale?: string): string {
  const when = new Date(iso);
  const days = daysBetween(now, when);
  const time = clockTime(iso, locale);
  if (days === 0) return `Today at ${time}`;
  if (days === 1) return `Tomorrow at ${time}`;
  if (days === -1) return `Yesterday at ${time}`;
  const date = when.toLocaleDateString(locale, {
    weekday: "short",
    day: "numeric",
    month: "short",
  });
  return `${date} at ${time}`;
}

/** "in 25 min", "in 2 h 5 min", "5 min late": how long until a check-in is due. */
export function dueIn(iso: string, now: number = Date.now()): string {
  const minutes = Math.round((new Date(iso).getTime() - now) / 60_000);
  const size = Math.abs(minutes);
  const text =
    size < 60 ? `${size} min` : `${Math.floor(size / 60)} h${size % 60 ? ` ${size % 60} min` : ""}`;
  if (minutes === 0) return "now";
  return minutes > 0 ? `in ${text}` : `${text} late`;
}

/** The value of a datetime-local input for a moment, in the reader's time zone. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** A datetime-local input's value as an ISO moment with its offset, or null when not a date. */
export function fromLocalInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return null;
  const date = new Date(value); // read in the local zone, as the input shows it
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
