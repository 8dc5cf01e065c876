// The conversation's menu: safety number, disappearing-message timer, report, block and
// unmatch. Block and unmatch end the chat, so each asks once more, saying what will happen.

import { useEffect, useRef, useState } from "preact/hooks";
import { authed } from "../../api/client";
import { FormError, useSubmit } from "../../ui/forms";
import { Button } from "../../ui/kit";
import { durationText } from "./format";
import { putRoom, type Room } from "./store";

// Shorter timers than the server's default (24 hours); "" keeps the default.
const TIMERS = [
  { seconds: 300, label: "5 minutes" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 8 * 3600, label: "8 hours" },
];

type Panel = "menu" | "timer" | "block" | "unmatch" | null;

function Confirm({
  title,
  text,
  action,
  onDone,
  onCancel,
}: {
  title: string;
  text: string;
  action: string;
  onDone: () => Promise<void>;
  onCancel: () => void;
}) {
  const form = useSubmit(onDone);
  return (
    <section class="card confirm" aria-labelledby="confirm-title">
      <h2 id="confirm-title">{title}</h2>
      <p>{text}</p>
      <FormError message={form.error} />
      <div class="row">
        <Button variant="danger" busy={form.busy} onClick={() => void form.submit()}>
          {action}
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </section>
  );
}

function TimerForm({ room, onClose }: { room: Room; onClose: () => void }) {
  const known = TIMERS.some((t) => t.seconds === room.timerSeconds);
  const [value, setValue] = useState(known ? String(room.timerSeconds) : "");
  const form = useSubmit(async () => {
    const updated = await authed<Room>(`/v1/chats/rooms/${room.id}/timer`, {
      method: "PUT",
      body: { seconds: value ? Number(value) : null },
    });
    putRoom(updated);
    onClose();
  });
  return (
    <form class="card confirm" onSubmit={form.submit}>
      <h2>Disappearing messages</h2>
      <p class="muted">New messages in this chat disappear for both of you after this time.</p>
      <div class="field">
        <label for="timer">Messages disappear after</label>
        <select id="timer" value={value} onChange={(e) => setValue(e.currentTarget.value)}>
          <option value="">
            {known ? "24 hours (the longest)" : durationText(room.timerSeconds)}
          </option>
          {TIMERS.map((t) => (
            <option key={t.seconds} value={String(t.seconds)}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      <FormError message={form.error} />
      <div class="row">
        <Button type="submit" busy={form.busy}>
          Save
        </Button>
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

export function RoomMenu({ room, onChanged }: { room: Room; onChanged: () => Promise<unknown> }) {
  const [panel, setPanel] = useState<Panel>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const wrapper = useRef<HTMLDivElement>(null);
  const open = room.status === "open";
  const close = () => {
    setPanel(null);
    toggle.current?.focus();
  };
  // The menu closes on Escape (focus back on its button) and on a tap anywhere else.
  useEffect(() => {
    if (panel !== "menu") return;
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && close();
    const onTap = (event: PointerEvent) => {
      if (!wrapper.current?.contains(event.target as Node)) setPanel(null);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onTap);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onTap);
    };
  }, [panel]);

  return (
    <div class="room-menu" ref={wrapper}>
      <button
        ref={toggle}
        type="button"
        class="icon-button"
        aria-expanded={panel === "menu"}
        aria-controls="room-menu-panel"
        onClick={() => setPanel(panel === "menu" ? null : "menu")}
      >
        <span aria-hidden="true">⋯</span>
        <span class="visually-hidden">Chat options</span>
      </button>
      {panel === "menu" && (
        <ul id="room-menu-panel" class="menu-panel card">
          <li>
            <a href={`#/chat/${room.id}/safety-number`}>Verify safety number</a>
          </li>
          {open && (
            <li>
              <button type="button" onClick={() => setPanel("timer")}>
                Disappearing messages
              </button>
            </li>
          )}
          <li>
            <a href={`#/chat/${room.id}/report`}>Report {room.peer.name}</a>
          </li>
          <li>
            <button type="button" class="danger" onClick={() => setPanel("block")}>
              Block {room.peer.name}
            </button>
          </li>
          {open && (
            <li>
              <button type="button" class="danger" onClick={() => setPanel("unmatch")}>
                Unmatch
              </button>
            </li>
          )}
        </ul>
      )}
      {panel === "timer" && (
        <div class="menu-sheet">
          <TimerForm room={room} onClose={close} />
        </div>
      )}
      {panel === "block" && (
        <div class="menu-sheet">
          <Confirm
            title={`Block ${room.peer.name}?`}
            text={`${room.peer.name} won’t be able to see you, match with you or message you. This chat closes. They are not told.`}
            action="Block"
            onCancel={close}
            onDone={async () => {
              await authed("/v1/users/me/blocks", {
                method: "POST",
                body: { userId: room.peer.userId },
              });
              setPanel(null);
              await onChanged();
            }}
          />
        </div>
      )}
      {panel === "unmatch" && (
        <div class="menu-sheet">
          <Confirm
            title={`Unmatch ${room.peer.name}?`}
            text="The chat closes for both of you and you can no longer message each other."
            action="Unmatch"
            onCancel={close}
            onDone={async () => {
              await authed(`/v1/matches/${room.matchId}`, { method: "DELETE" });
              setPanel(null);
              await onChanged();
            }}
          />
        </div>
      )}
    </div>
  );
}
