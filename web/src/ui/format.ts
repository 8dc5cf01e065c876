// Times, days, counts and initials as a person reads them, shared by every area (pure,
// unit-tested in node).

const DAY_MS = 24 * 3600 * 1000;

/** Local midnight of `date`, in ms. */
export function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** Whole calendar days from `then` to `now` (0 = the same day, negative = `then` is later). */
export function daysBetween(then: Date, now: Date): number {
  return Math.round((startOfDay(now) - startOfDay(then)) / DAY_MS);
}

/** "14:05" (or "02:05 PM", as the reader's locale writes it): a time of day. */
export function timeOfDay(at: string | Date): string {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** "just now", "3 min ago", "2 h ago", "4 days ago". */
export function ago(iso: string, now: Date | number = Date.now()): string {
  const seconds = Math.max(0, (Number(now) - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return "just now";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return `${days} day${days === 1 ? "" : "s"} ago`;
}

/** "1 zone", "3 zones", "2 people": a count with its noun. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The initial shown in a person's avatar when there is no photo ("?" for no name). */
export function initialOf(name: string): string {
  return (name.trim()[0] ?? "?").toUpperCase();
}
