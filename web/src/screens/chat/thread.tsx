// The messages of a conversation: bubbles (mine on the right), day separators, receipts on my
// messages, a clear placeholder for one this browser cannot read, and older pages loaded as
// the person scrolls up (or presses the button).

import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { timeOfDay } from "../../ui/format";
import { Icon } from "../../ui/icons";
import { Button } from "../../ui/kit";
import { AttachmentView } from "./attachment-view";
import { parseRef } from "./attachments";
import { dayLabel, type Receipt, receiptOf, runsOn, startsDay } from "./format";
import { isPlain, type Room, type Shown } from "./store";

const RECEIPT_TEXT: Record<Receipt, string> = {
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
};

/** ✓ sent, ✓✓ delivered, white ✓✓ read; the last message of mine says it in words too. */
function Ticks({ receipt, worded }: { receipt: Receipt; worded: boolean }) {
  return (
    <span class={`ticks ${receipt}`} title={RECEIPT_TEXT[receipt]}>
      <span aria-hidden="true">{receipt === "sent" ? "✓" : "✓✓"}</span>
      {worded ? (
        <span class="receipt-word">{RECEIPT_TEXT[receipt]}</span>
      ) : (
        <span class="visually-hidden">{RECEIPT_TEXT[receipt]}</span>
      )}
    </span>
  );
}

function BytesBody({ roomId, bytes }: { roomId: string; bytes: Uint8Array | null }) {
  const attachment = parseRef(bytes);
  if (attachment) return <AttachmentView roomId={roomId} attachment={attachment} />;
  return <p class="bubble-text">Content this app cannot show ({bytes?.length ?? 0} bytes)</p>;
}

function Bubble({
  item,
  room,
  last,
  run,
}: {
  item: Shown;
  room: Room;
  last: boolean;
  run: boolean;
}) {
  if (!isPlain(item)) {
    const side = item.senderId === room.peer.userId ? "theirs" : "mine";
    return (
      <li class={`bubble ${side} undecryptable`} data-seq={item.seq}>
        <p>
          <Icon name="lock" size={14} /> This message can’t be read on this device.
        </p>
        <span class="bubble-meta">
          <time dateTime={item.sentAt}>{timeOfDay(item.sentAt)}</time>
        </span>
      </li>
    );
  }
  const receipt = item.mine ? receiptOf(item.seq, room.peerDeliveredSeq, room.peerReadSeq) : null;
  return (
    <li class={`bubble ${item.mine ? "mine" : "theirs"}${run ? " run" : ""}`} data-seq={item.seq}>
      <span class="visually-hidden">{item.mine ? "You:" : `${room.peer.name}:`}</span>
      {item.kind === "text" ? (
        <p class="bubble-text">{item.text}</p>
      ) : (
        <BytesBody roomId={room.id} bytes={item.bytes} />
      )}
      <span class={run && !last ? "visually-hidden" : "bubble-meta"}>
        <time dateTime={item.sentAt}>{timeOfDay(item.sentAt)}</time>
        {receipt && <Ticks receipt={receipt} worded={last} />}
      </span>
    </li>
  );
}

export function Thread({
  items,
  room,
  hasMore,
  loadingOlder,
  loadOlder,
}: {
  items: Shown[];
  room: Room;
  hasMore: boolean;
  loadingOlder: boolean;
  loadOlder: () => Promise<void>;
}) {
  const top = useRef<HTMLDivElement>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const shape = useRef({ first: "", last: "", height: 0, nearBottom: true });
  // Measured before this render reaches the page: where the reader was.
  const root = document.documentElement;
  shape.current.height = root.scrollHeight;
  shape.current.nearBottom = root.scrollHeight - (window.scrollY + window.innerHeight) < 160;

  useLayoutEffect(() => {
    const first = items[0]?.id ?? "";
    const last = items[items.length - 1]?.id ?? "";
    const before = shape.current;
    if (before.first && first !== before.first && last === before.last) {
      // Older messages went above: keep the ones being read where they were.
      window.scrollBy(0, root.scrollHeight - before.height);
    } else if (last !== before.last) {
      const lastItem = items[items.length - 1];
      const mine = lastItem && isPlain(lastItem) && lastItem.mine;
      if (!before.last || before.nearBottom || mine)
        bottom.current?.scrollIntoView({ block: "end" });
    }
    shape.current = { ...shape.current, first, last };
  }, [items, root]);

  // Scrolling up to the top loads the page before.
  useEffect(() => {
    const sentinel = top.current;
    if (!sentinel || !hasMore) return;
    const watcher = new IntersectionObserver((seen) => {
      if (seen.some((entry) => entry.isIntersecting)) void loadOlder();
    });
    watcher.observe(sentinel);
    return () => watcher.disconnect();
  }, [hasMore, loadOlder]);

  const lastMine = [...items].reverse().find((m) => isPlain(m) && m.mine)?.id;
  return (
    <div class="thread">
      <div ref={top} class="thread-top">
        {hasMore ? (
          <Button variant="ghost" busy={loadingOlder} onClick={() => void loadOlder()}>
            Load earlier messages
          </Button>
        ) : (
          <p class="thread-start">
            <Icon name="lock" size={14} /> Messages are end-to-end encrypted. Nobody else, not even
            Disco, can read them.
          </p>
        )}
      </div>
      <div role="log" aria-label={`Messages with ${room.peer.name}`}>
        <ol class="messages">
          {items.map((item, index) => [
            startsDay(items, index) ? (
              <li key={`day-${item.id}`} class="day-separator">
                <span>{dayLabel(item.sentAt)}</span>
              </li>
            ) : null,
            <Bubble
              key={item.id}
              item={item}
              room={room}
              last={item.id === lastMine}
              run={runsOn(items, index)}
            />,
          ])}
        </ol>
      </div>
      <div ref={bottom} class="thread-bottom" />
    </div>
  );
}
