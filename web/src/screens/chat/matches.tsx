// /matches: everyone you matched with, the chats with the latest first, each with its unread
// count, the person's presence and (when this browser has read it) the last message.

import { useEffect, useState } from "preact/hooks";
import { authed, messageOf } from "../../api/client";
import type { RouteProps } from "../../routes";
import { Icon } from "../../ui/icons";
import { LoadError, Loading, Screen } from "../../ui/kit";
import { Avatar } from "./avatar";
import { listTime, presenceText } from "./format";
import { loadRooms, previews, type Room, rooms, roomsLoaded } from "./store";

interface Match {
  id: string;
  userId: string;
  name: string;
  bio: string | null;
  profileImage: string | null;
  distance: string | null;
  sharedInterests: string[];
}

/** One line of the list: a match, with its chat once the chat service has opened it. */
interface Entry {
  key: string;
  name: string;
  photo: string | null;
  room: Room | null;
  match: Match | null;
}

function entries(matches: Match[], all: Room[]): Entry[] {
  const byMatch = new Map(matches.map((m) => [m.id, m]));
  const list: Entry[] = all.map((room) => {
    const match = byMatch.get(room.matchId) ?? null;
    byMatch.delete(room.matchId);
    return { key: room.id, name: room.peer.name, photo: match?.profileImage ?? null, room, match };
  });
  // Matches whose chat is still opening (it follows the match by a moment).
  for (const match of byMatch.values()) {
    list.push({ key: match.id, name: match.name, photo: match.profileImage, room: null, match });
  }
  const when = (e: Entry) => e.room?.lastMessageAt ?? e.room?.createdAt ?? "";
  return list.sort((a, b) => {
    const open = Number(b.room?.status !== "closed") - Number(a.room?.status !== "closed");
    return open || when(b).localeCompare(when(a));
  });
}

function Line({ entry }: { entry: Entry }) {
  const { room } = entry;
  const preview = room ? previews.value[room.id] : undefined;
  const presence =
    room?.status === "open" ? presenceText(room.peer.online, room.peer.lastSeen) : null;
  const unread = room?.status === "open" ? room.unread : 0;
  let summary: string;
  if (!room) summary = "Opening your chat…";
  else if (room.status === "closed") summary = "Chat closed";
  else if (preview) summary = `${preview.mine ? "You: " : ""}${preview.text}`;
  else if (room.lastSeq === 0) summary = "You matched! Say hello.";
  else summary = unread > 0 ? "New encrypted message" : "Encrypted message";
  const body = (
    <>
      <Avatar name={entry.name} url={entry.photo} online={presence ? room?.peer.online : null} />
      <span class="match-text">
        <span class="match-top">
          <span class="match-name">{entry.name}</span>
          {room?.lastMessageAt && <span class="match-time">{listTime(room.lastMessageAt)}</span>}
        </span>
        <span class={`match-summary${unread > 0 ? " unread" : ""}`}>{summary}</span>
        {presence && <span class="match-presence">{presence}</span>}
      </span>
      {unread > 0 && (
        <span class="badge">
          {unread}
          <span class="visually-hidden"> unread</span>
        </span>
      )}
    </>
  );
  return (
    <li class={room?.status === "closed" ? "closed" : undefined}>
      {room ? (
        <a class="match-line" href={`#/chat/${room.id}`}>
          {body}
        </a>
      ) : (
        <span class="match-line">{body}</span>
      )}
    </li>
  );
}

export function MatchesScreen(_: RouteProps) {
  const [matches, setMatches] = useState<Match[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    setError(null);
    try {
      const [answer] = await Promise.all([
        authed<{ matches: Match[] }>("/v1/matches?limit=100"),
        loadRooms(),
      ]);
      setMatches(answer.matches);
    } catch (caught) {
      setError(messageOf(caught));
    }
  };
  useEffect(() => {
    void load();
  }, []);
  const list = matches && roomsLoaded.value ? entries(matches, Object.values(rooms.value)) : null;
  return (
    <Screen title="Matches">
      {error ? (
        <LoadError message={error} retry={load} />
      ) : !list ? (
        <Loading label="Loading your matches…" />
      ) : list.length === 0 ? (
        <div class="empty">
          <span class="empty-art">
            <Icon name="chat" size={40} />
          </span>
          <p class="empty-title">No matches yet</p>
          <p>When you and someone nearby both say hi, you match and can chat here.</p>
          <a class="btn btn-primary" href="#/discover">
            Go to Discover
          </a>
        </div>
      ) : (
        <ul class="list card match-list" aria-label="Your matches">
          {list.map((entry) => (
            <Line key={entry.key} entry={entry} />
          ))}
        </ul>
      )}
      {list && list.length > 0 && (
        <p class="muted e2ee-note">
          <Icon name="lock" size={14} /> Chats are end-to-end encrypted: only you and your match can
          read them.
        </p>
      )}
    </Screen>
  );
}
