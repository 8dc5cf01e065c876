// /chat/:roomId/report: report the match to Disco's safety team, choosing messages of theirs
// as evidence. Each chosen message goes with its franking opening, which lets moderators check
// it is exactly what the person sent, without Disco ever holding the chat's keys.

import { useEffect, useState } from "preact/hooks";
import { authed, messageOf } from "../../api/client";
import type { RouteProps } from "../../routes";
import { timeOfDay } from "../../ui/format";
import { FormError, useSubmit } from "../../ui/forms";
import { Button, Card, LoadError, Loading, Screen } from "../../ui/kit";
import { dayLabel } from "./format";
import {
  decrypt,
  isPlain,
  knownMessages,
  loadRoom,
  type PlainMessage,
  type Room,
  type ServerMessage,
  secureChat,
} from "./store";

const REASONS = [
  { value: "harassment", label: "Harassment or bullying" },
  { value: "threat", label: "Threats or violence" },
  { value: "inappropriate", label: "Sexual or inappropriate content" },
  { value: "spam", label: "Spam or scam" },
  { value: "fake_profile", label: "Fake profile" },
  { value: "underage", label: "They seem under 18" },
  { value: "other", label: "Something else" },
];

function Evidence({
  messages,
  chosen,
  onChoose,
}: {
  messages: PlainMessage[];
  chosen: Set<string>;
  onChoose: (id: string, on: boolean) => void;
}) {
  if (messages.length === 0) {
    return <p class="muted">There are no messages of theirs on this device to attach.</p>;
  }
  return (
    <fieldset class="evidence">
      <legend>Messages to include (optional)</legend>
      <ul class="list">
        {messages.map((message) => (
          <li key={message.id}>
            <label class="evidence-item">
              <input
                type="checkbox"
                checked={chosen.has(message.id)}
                onChange={(event) => onChoose(message.id, event.currentTarget.checked)}
              />
              <span class="grow">
                <span class="evidence-text">
                  {message.kind === "text" ? message.text : "An attachment"}
                </span>
                <span class="muted">
                  {dayLabel(message.sentAt)}, {timeOfDay(message.sentAt)}
                </span>
              </span>
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

export function ReportScreen({ params }: RouteProps) {
  const roomId = params.roomId ?? "";
  const [room, setRoom] = useState<Room | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const [details, setDetails] = useState("");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [done, setDone] = useState(false);
  useEffect(() => {
    (async () => {
      const found = await loadRoom(roomId);
      // Opened directly (not from the chat): read the latest messages first.
      if (knownMessages(roomId).length === 0) {
        const page = await authed<{ messages: ServerMessage[] }>(
          `/v1/chats/rooms/${encodeURIComponent(roomId)}/messages?limit=50`,
        );
        for (const message of page.messages) await decrypt(message);
      }
      setRoom(found);
    })().catch((caught) => setError(messageOf(caught)));
  }, [roomId]);
  // Only what this device decrypted can be proven: the plaintexts never left it.
  const theirs = room
    ? knownMessages(roomId).filter(
        (m): m is PlainMessage => isPlain(m) && !m.mine && m.senderId === room.peer.userId,
      )
    : [];
  const form = useSubmit(async () => {
    if (!room) return;
    if (!reason) throw new Error("Choose what happened.");
    const picked = theirs.filter((m) => chosen.has(m.id));
    const chat = await secureChat();
    await authed("/v1/safety/reports", {
      method: "POST",
      body: {
        userId: room.peer.userId,
        reason,
        ...(details.trim() ? { details: details.trim() } : {}),
        messageIds: picked.map((m) => m.id),
        messages: chat.reportOpenings(picked),
      },
    });
    setDone(true);
  });
  const name = room?.peer.name ?? "your match";
  return (
    <Screen title={`Report ${name}`} back={`/chat/${roomId}`}>
      {error ? (
        <LoadError message={error} />
      ) : !room ? (
        <Loading />
      ) : done ? (
        <Card>
          <p class="notice success" role="status">
            Thank you. Your report reached Disco’s safety team; {name} is not told who reported
            them.
          </p>
          <p>You can follow it in Safety, and block {name} from the chat menu at any time.</p>
          <div class="row">
            <a class="btn btn-primary" href={`#/chat/${roomId}`}>
              Back to the chat
            </a>
            <a class="btn btn-secondary" href="#/safety">
              Safety
            </a>
          </div>
        </Card>
      ) : (
        <form class="card" onSubmit={form.submit}>
          <p class="muted">
            Reports are confidential. Messages you include are sent to moderators with a proof that{" "}
            {name} wrote them.
          </p>
          <div class={`field${form.fieldErrors.reason ? " invalid" : ""}`}>
            <label for="report-reason">What happened?</label>
            <select
              id="report-reason"
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              required
            >
              <option value="">Choose a reason</option>
              {REASONS.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
            {form.fieldErrors.reason && <p class="field-error">{form.fieldErrors.reason}</p>}
          </div>
          <Evidence
            messages={theirs}
            chosen={chosen}
            onChoose={(id, on) => {
              const next = new Set(chosen);
              if (on) next.add(id);
              else next.delete(id);
              setChosen(next);
            }}
          />
          <DetailsField value={details} onValue={setDetails} error={form.fieldErrors.details} />
          <FormError message={form.error} />
          <Button type="submit" variant="danger" busy={form.busy}>
            Send report
          </Button>
        </form>
      )}
    </Screen>
  );
}

function DetailsField({
  value,
  onValue,
  error,
}: {
  value: string;
  onValue: (value: string) => void;
  error: string | undefined;
}) {
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for="report-details">Anything else we should know? (optional)</label>
      <textarea
        id="report-details"
        value={value}
        maxLength={2000}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? true : undefined}
      />
      {error && <p class="field-error">{error}</p>}
    </div>
  );
}
