// The in-app notifications of this tab: a signal the bell and the list read, kept in
// sessionStorage per person so a reload keeps them (they end with the tab, like the session).

import { computed, effect, signal } from "@preact/signals";
import { current } from "../../api/session";
import { addNote, markAllRead, type Note, parseNotes, unreadCount } from "./notify-list";

const KEY = "disco.notifications:";

export const notes = signal<Note[]>([]);
export const unread = computed(() => unreadCount(notes.value));

let owner: string | null = null;
let nextId = 0;

function save(): void {
  if (owner) sessionStorage.setItem(KEY + owner, JSON.stringify(notes.value));
}

// The list belongs to whoever is signed in: another person in the tab starts afresh.
effect(() => {
  const userId = current.value?.user.id ?? null;
  if (userId === owner) return;
  owner = userId;
  notes.value = userId ? parseNotes(sessionStorage.getItem(KEY + userId)) : [];
});

export function notify(note: Omit<Note, "id" | "at" | "read">): void {
  nextId += 1;
  const full: Note = {
    ...note,
    id: `${Date.now()}-${nextId}`,
    at: new Date().toISOString(),
    read: false,
  };
  notes.value = addNote(notes.value, full);
  save();
}

export function readAll(): void {
  notes.value = markAllRead(notes.value);
  save();
}

export function clearNotes(): void {
  notes.value = [];
  save();
}
