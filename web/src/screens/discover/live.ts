// What the discover area does with live frames whatever screen is showing (started once, in
// main): a notice when someone compatible comes into range, asks to connect or matches, and
// an entry in the in-app notifications for those and for the account's other notices.

import { effect } from "@preact/signals";
import { authed } from "../../api/client";
import { onFrame } from "../../api/live";
import { current, session } from "../../api/session";
import { here } from "../../router";
import { toast } from "../../ui/toasts";
import { startLocation } from "./location";
import type { NearbyPerson, Room } from "./model";
import { notify } from "./notifications";
import { connectionWith, forgetPeople, nearby, refreshConnections, refreshNearby } from "./people";
import { forgetPhotos } from "./photo";

const text = (value: unknown): string | null =>
  typeof value === "string" && value.trim() ? value : null;

function sharedText(shared: string[]): string {
  return shared.length ? `You both like ${shared.slice(0, 3).join(", ")}.` : "";
}

function onNearby(data: Record<string, unknown>): void {
  const userId = text(data.userId);
  const name = text(data.name) ?? "Someone";
  const distance = text(data.distance) ?? "near";
  if (!userId) return;
  const shared = Array.isArray(data.sharedInterests) ? data.sharedInterests.map(String) : [];
  const person: NearbyPerson = { userId, name, distance, sharedInterests: shared };
  // Shown at once; the list read right after puts everyone in the server's order.
  nearby.value = [person, ...(nearby.value ?? []).filter((p) => p.userId !== userId)];
  void refreshNearby();
  void refreshConnections();
  toast(`${name} is ${distance}. Say hi?`, { href: "#/discover" });
  notify({
    kind: "nearby",
    title: `${name} is ${distance}`,
    body: sharedText(shared) || undefined,
    href: "#/discover",
  });
}

async function onRequest(data: Record<string, unknown>): Promise<void> {
  const userId = text(data.userId);
  const list = await refreshConnections();
  const name = list?.find((c) => c.userId === userId)?.name ?? "Someone near you";
  toast(`${name} would like to connect.`, { href: "#/discover" });
  notify({
    kind: "request",
    title: `${name} would like to connect`,
    body: "Accept to match and start chatting.",
    href: "#/discover",
  });
}

/** The chat room a new match opened, once chat has opened it (a moment after the match). */
async function roomOf(matchId: string): Promise<string | null> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const { rooms } = await authed<{ rooms: Room[] }>("/v1/chats/rooms");
      const room = rooms.find((r) => r.matchId === matchId);
      if (room) return room.id;
    } catch {
      return null; // the notice still leads to the match list
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        stop();
        clearTimeout(timer);
        resolve();
      };
      const stop = onFrame("room_update", done);
      const timer = setTimeout(done, 1_500);
    });
  }
  return null;
}

async function onMatch(data: Record<string, unknown>): Promise<void> {
  const matchId = text(data.matchId);
  const userId = text(data.userId);
  if (!matchId || data.status !== "matched") return;
  await refreshConnections();
  const name =
    (userId &&
      (connectionWith(userId)?.name ?? nearby.value?.find((p) => p.userId === userId)?.name)) ||
    "someone near you";
  const roomId = await roomOf(matchId);
  const href = roomId ? `#/chat/${encodeURIComponent(roomId)}` : "#/matches";
  toast(`It's a match! You and ${name} can chat now.`, { href, tone: "success" });
  notify({
    kind: "match",
    key: `match:${matchId}`,
    title: `You matched with ${name}`,
    body: "Say hello: your chat is end-to-end encrypted.",
    href,
  });
}

const NOTICE_TITLES: Record<string, string> = {
  new_sign_in: "New sign-in to your account",
  moderation_warning: "A warning from Disco's moderators",
  rating_prompt: "How did your meetup go?",
  checkin_escalated: "Your check-in was missed: your contacts were told",
};

function onNotification(data: Record<string, unknown>): void {
  const kind = text(data.kind) ?? "";
  const title = text(data.subject) ?? NOTICE_TITLES[kind] ?? "A notice from Disco";
  const body = text(data.body);
  notify({
    kind: kind === "new_sign_in" || kind === "moderation_warning" ? "account" : "safety",
    title,
    body: body && body !== title ? body : undefined,
    href: kind === "new_sign_in" || kind === "moderation_warning" ? undefined : "#/safety",
  });
}

function onSafety(data: Record<string, unknown>): void {
  notify({
    kind: "safety",
    title: text(data.subject) ?? "Safety update",
    href: "#/safety",
  });
}

function onMessage(data: Record<string, unknown>): void {
  const roomId = text(data.roomId);
  if (!roomId || data.senderId === session.user?.id) return;
  if (here.value.path === `/chat/${roomId}`) return; // being read right now
  notify({
    kind: "message",
    key: `room:${roomId}`,
    title: "New message from a match",
    href: `#/chat/${encodeURIComponent(roomId)}`,
  });
}

export function startDiscoverLive(): void {
  startLocation();
  // What one person saw is not the next one's to see, in the same tab.
  let userId = session.user?.id ?? null;
  effect(() => {
    const id = current.value?.user.id ?? null;
    if (id === userId) return;
    userId = id;
    forgetPeople();
    forgetPhotos();
  });
  onFrame("nearby", onNearby);
  onFrame("connection_request", (data) => void onRequest(data));
  onFrame("match_update", (data) => void onMatch(data));
  onFrame("notification", onNotification);
  onFrame("checkin_reminder", onSafety);
  onFrame("safety_alert", onSafety);
  onFrame("message", onMessage);
}
