// The in-app notification list as pure functions over an array (the store in notifications.ts
// keeps it in a signal and in sessionStorage).
//
// The API has no notification list for a person (only moderators see the dispatch queue), so
// the list is kept here, in the tab, from the live frames that arrive while it is open.

export const MAX_NOTES = 50;

export interface Note {
  id: string;
  /** What it is about: "nearby", "request", "match", "message", "safety", "account". */
  kind: string;
  title: string;
  body?: string | undefined;
  href?: string | undefined;
  /** ISO time it arrived. */
  at: string;
  read: boolean;
  /** Notes with the same key replace each other (one line per chat, say). */
  key?: string | undefined;
}

/** Adds a note at the top; one with the same key is replaced; the oldest fall off. */
export function addNote(notes: Note[], note: Note): Note[] {
  const rest = note.key ? notes.filter((n) => n.key !== note.key) : notes;
  return [note, ...rest].slice(0, MAX_NOTES);
}

export function markAllRead(notes: Note[]): Note[] {
  return notes.some((n) => !n.read) ? notes.map((n) => (n.read ? n : { ...n, read: true })) : notes;
}

export function unreadCount(notes: Note[]): number {
  return notes.filter((n) => !n.read).length;
}

/** A stored list read back: anything malformed is dropped rather than trusted. */
export function parseNotes(raw: string | null): Note[] {
  if (!raw) return [];
  try {
    const value: unknown = JSON.parse(raw);
    if (!Array.isArray(value)) return [];
    return value
      .filter(
        (n): n is Note =>
          typeof n === "object" &&
          n !== null &&
          typeof (n as Note).id === "string" &&
          typeof (n as Note).title === "string" &&
          typeof (n as Note).at === "string",
      )
      .slice(0, MAX_NOTES);
  } catch {
    return [];
  }
}
