// /chat/:roomId: the conversation with one match. Its header says who and whether they are
// around (or typing); the thread, the composer, and the menu (safety number, timer, report,
// block, unmatch) follow. A closed chat stays readable, with the composer replaced by why.

import { useEffect, useRef } from "preact/hooks";
import type { RouteProps } from "../../routes";
import { Icon } from "../../ui/icons";
import { LoadError, Loading } from "../../ui/kit";
import { Avatar } from "./avatar";
import { Composer } from "./composer";
import { useConversation } from "./conversation";
import { durationText, presenceText } from "./format";
import { RoomMenu } from "./room-menu";
import { keyChanges, loadRoom, type Room } from "./store";
import { Thread } from "./thread";

const CLOSED_BECAUSE: Record<string, string> = {
  unmatched: "This chat is closed: the match ended.",
  blocked: "This chat is closed: one of you blocked the other.",
  deleted: "This chat is closed: the account was deleted.",
};

function Header({ room, typing, roomId }: { room: Room | null; typing: boolean; roomId: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const name = room?.peer.name ?? "Chat";
  useEffect(() => {
    document.title = `${name} · Disco`;
  }, [name]);
  useEffect(() => heading.current?.focus({ preventScroll: true }), []);
  const presence =
    room?.status === "open" ? presenceText(room.peer.online, room.peer.lastSeen) : null;
  return (
    <header class="chat-head">
      <a class="back" href="#/matches" aria-label="Back to matches">
        ‹
      </a>
      <Avatar name={name} size={40} online={presence ? room?.peer.online : null} />
      <div class="chat-who">
        <h1 ref={heading} tabIndex={-1}>
          {name}
        </h1>
        <p class="chat-status" aria-live="polite">
          {typing ? <span class="typing">typing…</span> : presence}
        </p>
      </div>
      {room && <RoomMenu room={room} onChanged={() => loadRoom(roomId)} />}
    </header>
  );
}

function KeyNotice({ room }: { room: Room }) {
  const changed = keyChanges.value[room.peer.userId];
  if (!changed) return null;
  return (
    <p class="notice warning key-notice" role="status">
      {room.peer.name}’s security keys changed (a new or reinstalled device).{" "}
      <a href={`#/chat/${room.id}/safety-number`}>Compare your safety number</a> to be sure it is
      still them.
    </p>
  );
}

export function RoomScreen({ params }: RouteProps) {
  const roomId = params.roomId ?? "";
  const chat = useConversation(roomId);
  const { room } = chat;
  return (
    <section class="screen chat-screen">
      <Header room={room} typing={chat.peerTyping} roomId={roomId} />
      {chat.error ? (
        <LoadError message={chat.error} retry={chat.retry} />
      ) : !room || !chat.ready ? (
        <Loading label="Opening your encrypted chat…" />
      ) : (
        <>
          <p class="timer-note">
            <Icon name="timer" size={14} />
            Messages disappear after {durationText(room.timerSeconds)}
          </p>
          <KeyNotice room={room} />
          <Thread
            items={chat.items}
            room={room}
            hasMore={chat.hasMore}
            loadingOlder={chat.loadingOlder}
            loadOlder={chat.loadOlder}
          />
          {chat.items.length === 0 && room.status === "open" && (
            <p class="chat-empty">You matched with {room.peer.name}. Say hello!</p>
          )}
          {room.status === "open" ? (
            <Composer
              disabled={false}
              onSend={chat.sendText}
              onFile={chat.sendFile}
              onTyping={chat.typing}
            />
          ) : (
            <p class="closed-note" role="status">
              {CLOSED_BECAUSE[room.closedReason ?? ""] ?? "This chat is closed."} You can still read
              it until the messages disappear.
            </p>
          )}
        </>
      )}
    </section>
  );
}
