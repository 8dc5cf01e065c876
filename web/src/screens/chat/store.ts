// What the chat screens share for the life of the tab: the rooms (with unread counts, the
// peer's presence and receipts), this browser's SecureChat (loaded on first need, so
// libsodium is paid for only by people who chat), and every message decrypted so far.
//
// A message can be decrypted once only (its key is deleted as it is used), so each is
// decrypted here, once, whichever screen or live handler sees it first, and kept in memory.

import { computed, effect, signal } from "@preact/signals";
import { authed } from "../../api/client";
import { current, session } from "../../api/session";
import type { PlainMessage, SecureChat, ServerMessage, Undecryptable } from "../../e2ee";
import { isInlineImage, parseRef } from "./attachments";

export type { PlainMessage, ServerMessage, Undecryptable };
export type Shown = PlainMessage | Undecryptable;

export interface Peer {
  userId: string;
  name: string;
  online: boolean | null;
  lastSeen: string | null;
}

export interface Room {
  id: string;
  matchId: string;
  peer: Peer;
  status: "open" | "closed";
  closedReason: string | null;
  lastSeq: number;
  lastMessageAt: string | null;
  unread: number;
  deliveredSeq: number;
  readSeq: number;
  peerDeliveredSeq: number;
  peerReadSeq: number | null;
  timerSeconds: number;
  createdAt: string;
}

/** The latest message of a room this browser could read, for the match list. */
export interface Preview {
  text: string;
  sentAt: string;
  mine: boolean;
}

export const rooms = signal<Record<string, Room>>({});
export const roomsLoaded = signal(false);
/** The room on screen (its messages are not counted as unread nor toasted). */
export const activeRoom = signal<string | null>(null);
export const previews = signal<Record<string, Preview>>({});
/** When each person's keys last changed (a key_changed frame), by user id. */
export const keyChanges = signal<Record<string, number>>({});
export const totalUnread = computed(() =>
  Object.values(rooms.value).reduce(
    (sum, room) => sum + (room.status === "open" ? room.unread : 0),
    0,
  ),
);

export function isPlain(item: Shown): item is PlainMessage {
  return "mine" in item;
}

export function putRoom(room: Room): void {
  rooms.value = { ...rooms.value, [room.id]: room };
}

export function patchRoom(roomId: string, change: (room: Room) => Partial<Room>): void {
  const room = rooms.value[roomId];
  if (room) putRoom({ ...room, ...change(room) });
}

export async function loadRooms(): Promise<Room[]> {
  const answer = await authed<{ rooms: Room[] }>("/v1/chats/rooms");
  rooms.value = Object.fromEntries(answer.rooms.map((room) => [room.id, room]));
  roomsLoaded.value = true;
  return answer.rooms;
}

export async function loadRoom(roomId: string): Promise<Room> {
  const room = await authed<Room>(`/v1/chats/rooms/${encodeURIComponent(roomId)}`);
  putRoom(room);
  return room;
}

export function roomOfPeer(userId: string): Room | undefined {
  return Object.values(rooms.value).find((room) => room.peer.userId === userId);
}

// --- end-to-end encryption ----------------------------------------------------------------

let secure: Promise<SecureChat> | null = null;
let opened: SecureChat | null = null;

/** The SecureChat if it is already open (live handlers never load it just for a frame). */
export function openedChat(): SecureChat | null {
  return opened;
}

/** This browser's SecureChat for the signed-in person (its keys made and uploaded once). */
export function secureChat(): Promise<SecureChat> {
  const user = session.user;
  if (!user) return Promise.reject(new Error("Please sign in first."));
  if (!secure) {
    const opening = import("../../e2ee")
      .then(({ SecureChat }) => SecureChat.open(user.id))
      .then((chat) => {
        opened = chat;
        return chat;
      });
    secure = opening;
    // A failure is not kept: the next screen to need it tries again.
    opening.catch(() => {
      if (secure === opening) secure = null;
    });
  }
  return secure;
}

const decrypted = new Map<string, Promise<Shown>>();
const plainById = new Map<string, Shown>();

/** A message as this browser reads it: decrypted once, then remembered. */
export function decrypt(message: ServerMessage): Promise<Shown> {
  let result = decrypted.get(message.id);
  if (!result) {
    result = secureChat()
      .then((chat) => chat.decrypt(message))
      .then((shown) => {
        remember(shown);
        return shown;
      });
    decrypted.set(message.id, result);
    result.catch(() => decrypted.delete(message.id));
  }
  return result;
}

/** Keeps a message this browser sent or read (for the report screen and the previews). */
export function remember(shown: Shown): void {
  plainById.set(shown.id, shown);
  if (!decrypted.has(shown.id)) decrypted.set(shown.id, Promise.resolve(shown));
  const latest = previews.value[shown.roomId];
  if (isPlain(shown) && (!latest || latest.sentAt <= shown.sentAt)) {
    const attachment = shown.kind === "bytes" ? parseRef(shown.bytes) : null;
    const text =
      shown.kind === "text"
        ? (shown.text ?? "")
        : attachment && isInlineImage(attachment.type)
          ? "Photo"
          : `File: ${attachment?.name ?? "attachment"}`;
    previews.value = {
      ...previews.value,
      [shown.roomId]: { text, sentAt: shown.sentAt, mine: shown.mine },
    };
  }
}

/** Every message of a room this browser holds, oldest first. */
export function knownMessages(roomId: string): Shown[] {
  return [...plainById.values()].filter((m) => m.roomId === roomId).sort((a, b) => a.seq - b.seq);
}

// A new person signed in on this tab starts from nothing: no rooms, keys or plaintexts of
// the one before.
let lastUser: string | null = session.user?.id ?? null;
effect(() => {
  const user = current.value?.user.id ?? null;
  if (user === lastUser) return;
  lastUser = user;
  secure = null;
  opened = null;
  decrypted.clear();
  plainById.clear();
  rooms.value = {};
  roomsLoaded.value = false;
  previews.value = {};
  keyChanges.value = {};
  activeRoom.value = null;
});
