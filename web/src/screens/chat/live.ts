// What the chat area does with live frames whatever screen is showing (started once, in main):
// unread counts, presence, receipts, closed rooms, key changes, and a toast for a message that
// arrives while its chat is not on screen. The toast names the sender only, never the content;
// the message is decrypted here (for the match list's preview) only if this tab has its keys
// open already: loading the cryptography on every screen for a preview is not worth it.

import { liveState, onFrame } from "../../api/live";
import { current, session } from "../../api/session";
import { toast } from "../../ui/toasts";
import {
  activeRoom,
  decrypt,
  keyChanges,
  loadRooms,
  openedChat,
  patchRoom,
  roomOfPeer,
  rooms,
  type ServerMessage,
} from "./store";

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

// One toast per chat while it shows: a burst of messages is one notice, not a stack.
const TOAST_MS = 8_000;
const toastedAt = new Map<string, number>();

function toastedLately(roomId: string): boolean {
  const now = Date.now();
  const last = toastedAt.get(roomId) ?? 0;
  if (now - last < TOAST_MS) return true;
  toastedAt.set(roomId, now);
  return false;
}

async function onMessage(data: Record<string, unknown>): Promise<void> {
  const roomId = text(data.roomId);
  const seq = Number(data.seq);
  if (!roomId || !Number.isFinite(seq)) return;
  const mine = data.senderId === session.user?.id;
  const here = activeRoom.value === roomId && document.visibilityState === "visible";
  if (!rooms.value[roomId]) await loadRooms().catch(() => {});
  patchRoom(roomId, (room) => ({
    lastSeq: Math.max(room.lastSeq, seq),
    lastMessageAt: text(data.sentAt) ?? room.lastMessageAt,
    unread: mine || here ? room.unread : room.unread + 1,
  }));
  // Where this browser has its keys open already, the match list can show the message.
  if (openedChat() && activeRoom.value !== roomId) {
    void decrypt(data as unknown as ServerMessage).catch(() => {});
  }
  if (!mine && activeRoom.value !== roomId && !toastedLately(roomId)) {
    const name = rooms.value[roomId]?.peer.name ?? "a match";
    toast(`New message from ${name}`, { href: `#/chat/${roomId}` });
  }
}

export function startChatLive(): void {
  onFrame("message", (data) => void onMessage(data));
  onFrame("receipt", (data) => {
    const roomId = text(data.roomId);
    const seq = Number(data.seq);
    if (!roomId || data.userId === session.user?.id || !Number.isFinite(seq)) return;
    patchRoom(roomId, (room) =>
      data.kind === "read"
        ? {
            peerReadSeq: Math.max(room.peerReadSeq ?? 0, seq),
            peerDeliveredSeq: Math.max(room.peerDeliveredSeq, seq),
          }
        : { peerDeliveredSeq: Math.max(room.peerDeliveredSeq, seq) },
    );
  });
  onFrame("presence", (data) => {
    const userId = text(data.userId);
    for (const room of Object.values(rooms.value)) {
      if (room.peer.userId !== userId) continue;
      patchRoom(room.id, (r) => ({
        peer: {
          ...r.peer,
          online: Boolean(data.online),
          lastSeen: text(data.lastSeen) ?? r.peer.lastSeen,
        },
      }));
    }
  });
  onFrame("room_update", (data) => {
    const roomId = text(data.roomId);
    if (roomId && data.status === "closed") patchRoom(roomId, () => ({ status: "closed" }));
    void loadRooms().catch(() => {}); // a new room, or the reason a room closed
  });
  // A new match opens its room a moment later (the room_update above then names it).
  onFrame("match_update", () => void loadRooms().catch(() => {}));
  onFrame("key_changed", (data) => {
    openedChat()?.keyChanged(data);
    const userId = text(data.userId);
    if (!userId || userId === session.user?.id) return;
    // A first device set up for a chat that has no messages yet changes nothing anyone could
    // have compared; any other change (a device added, replaced or removed) is worth a look.
    const room = roomOfPeer(userId);
    if (data.change === "added" && !(room && room.lastSeq > 0)) return;
    keyChanges.value = { ...keyChanges.value, [userId]: Date.now() };
  });
  // Unread counts on arrival and after every reconnection (frames missed while away).
  let wasConnected = false;
  liveState.subscribe((state) => {
    if (state === "connected" && !wasConnected && current.value) {
      void loadRooms().catch(() => {});
    }
    wasConnected = state === "connected";
  });
}
