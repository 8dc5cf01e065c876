// The state of one open conversation: its messages (decrypted in order), older pages on
// demand, new ones live, a catch-up after every reconnection, receipts sent as the person
// reads, and the peer's typing.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { authed, messageOf } from "../../api/client";
import { liveState, onFrame, send as sendFrame } from "../../api/live";
import { session } from "../../api/session";
import { dismiss, toasts } from "../../ui/toasts";
import { encodeRef, encryptFile, MAX_ATTACHMENT_BYTES, uploadMedia } from "./attachments";
import { mergeMessages } from "./format";
import {
  activeRoom,
  decrypt,
  loadRoom,
  openedChat,
  patchRoom,
  type Room,
  remember,
  rooms,
  type ServerMessage,
  type Shown,
  secureChat,
} from "./store";

const PAGE = 30;
// The peer's "typing" lasts this long without a fresh frame (a lost "stopped" frame, say).
const TYPING_MS = 6_000;

interface Page {
  messages: ServerMessage[];
  hasMore: boolean;
}

function messagesPath(roomId: string, query: string): string {
  return `/v1/chats/rooms/${encodeURIComponent(roomId)}/messages?${query}`;
}

/** Decrypts in sequence order: a ratchet moves forward message by message. */
async function decryptAll(messages: ServerMessage[]): Promise<Shown[]> {
  const shown: Shown[] = [];
  for (const message of [...messages].sort((a, b) => a.seq - b.seq)) {
    shown.push(await decrypt(message));
  }
  return shown;
}

export interface Conversation {
  room: Room | null;
  items: Shown[];
  hasMore: boolean;
  loadingOlder: boolean;
  /** Why the room or its messages could not be loaded. */
  error: string | null;
  /** Set once the encryption keys are ready (sending waits for them). */
  ready: boolean;
  peerTyping: boolean;
  retry: () => void;
  loadOlder: () => Promise<void>;
  sendText: (text: string) => Promise<void>;
  /** Encrypts, uploads and sends a file. */
  sendFile: (file: File) => Promise<void>;
  /** To call while composing: tells the peer (at most every few seconds). */
  typing: (active: boolean) => void;
}

export function useConversation(roomId: string): Conversation {
  const room = rooms.value[roomId] ?? null;
  const [items, setItems] = useState<Shown[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const [peerTyping, setPeerTyping] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const latest = useRef(0); // the highest seq on screen
  const readUpTo = useRef(0);

  const add = useCallback((shown: Shown[]) => {
    if (shown.length === 0) return;
    latest.current = Math.max(latest.current, ...shown.map((m) => m.seq));
    setItems((before) => mergeMessages(before, shown));
  }, []);

  // Read receipts: everything on screen is read while the page is visible.
  const markRead = useCallback(() => {
    const seq = latest.current;
    if (seq <= readUpTo.current || document.visibilityState !== "visible") return;
    readUpTo.current = seq;
    patchRoom(roomId, (r) => ({ unread: 0, readSeq: Math.max(r.readSeq, seq) }));
    void authed(`/v1/chats/rooms/${encodeURIComponent(roomId)}/read`, {
      method: "POST",
      body: { seq },
    }).catch(() => {
      readUpTo.current = 0; // try again with the next message
    });
  }, [roomId]);

  // The room, the keys and the newest page.
  useEffect(() => {
    activeRoom.value = roomId;
    // Notices of this chat's new messages have done their job once it is open.
    for (const item of toasts.value) if (item.href === `#/chat/${roomId}`) dismiss(item.id);
    let live = true;
    setError(null);
    (async () => {
      try {
        const [, page] = await Promise.all([
          loadRoom(roomId),
          authed<Page>(messagesPath(roomId, `limit=${PAGE}`)),
        ]);
        await secureChat();
        if (!live) return;
        setReady(true);
        setHasMore(page.hasMore);
        add(await decryptAll(page.messages));
        markRead();
      } catch (caught) {
        if (live) setError(messageOf(caught));
      }
    })();
    const onVisible = () => markRead();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      live = false;
      document.removeEventListener("visibilitychange", onVisible);
      if (activeRoom.value === roomId) activeRoom.value = null;
    };
  }, [roomId, attempt, add, markRead]);

  // New messages live; the peer's typing.
  useEffect(() => {
    let typingTimer: ReturnType<typeof setTimeout> | undefined;
    const offMessage = onFrame("message", (data) => {
      const message = data as unknown as ServerMessage;
      if (message.roomId !== roomId) return;
      // This device's own messages come back as frames too; `send` already put them on
      // screen (and a device holds no part of its own envelope to decrypt).
      const chat = openedChat();
      if (message.senderId === session.user?.id && message.senderDeviceId === chat?.deviceId) {
        return;
      }
      if (message.senderId !== session.user?.id) {
        setPeerTyping(false);
        void authed(`/v1/chats/rooms/${encodeURIComponent(roomId)}/delivered`, {
          method: "POST",
          body: { seq: message.seq },
        }).catch(() => {});
      }
      void decrypt(message).then((shown) => {
        add([shown]);
        markRead();
      });
    });
    const offTyping = onFrame("typing", (data) => {
      if (data.roomId !== roomId || data.userId === session.user?.id) return;
      clearTimeout(typingTimer);
      setPeerTyping(Boolean(data.typing));
      if (data.typing) typingTimer = setTimeout(() => setPeerTyping(false), TYPING_MS);
    });
    return () => {
      offMessage();
      offTyping();
      clearTimeout(typingTimer);
    };
  }, [roomId, add, markRead]);

  // Catch up after a reconnection: whatever came while the socket was down.
  useEffect(() => {
    let wasConnected = liveState.peek() === "connected";
    return liveState.subscribe((state) => {
      const back = state === "connected" && !wasConnected;
      wasConnected = state === "connected";
      if (!back || !ready) return;
      void (async () => {
        let more = true;
        while (more) {
          const page = await authed<Page>(
            messagesPath(roomId, `after=${latest.current}&limit=100`),
          );
          add(await decryptAll(page.messages));
          more = page.hasMore && page.messages.length > 0;
        }
        markRead();
        await loadRoom(roomId);
      })().catch(() => {});
    });
  }, [roomId, ready, add, markRead]);

  // A ref, not the state: the scroll watcher and the button may both ask in one moment.
  const fetchingOlder = useRef(false);
  const loadOlder = useCallback(async () => {
    const oldest = items[0]?.seq;
    if (fetchingOlder.current || !hasMore || !oldest) return;
    fetchingOlder.current = true;
    setLoadingOlder(true);
    try {
      const page = await authed<Page>(messagesPath(roomId, `before=${oldest}&limit=${PAGE}`));
      setHasMore(page.hasMore);
      add(await decryptAll(page.messages));
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      fetchingOlder.current = false;
      setLoadingOlder(false);
    }
  }, [roomId, items, hasMore, add]);

  const lastTyping = useRef(0);
  const typing = useCallback(
    (active: boolean) => {
      const now = Date.now();
      if (active && now - lastTyping.current < 3_000) return;
      if (!active && lastTyping.current === 0) return;
      lastTyping.current = active ? now : 0;
      sendFrame("typing", { roomId, typing: active });
    },
    [roomId],
  );

  const sendContent = useCallback(
    async (content: string | Uint8Array, extra?: Record<string, unknown>) => {
      const peer = rooms.value[roomId]?.peer;
      if (!peer) throw new Error("This chat is not loaded yet.");
      const chat = await secureChat();
      typing(false);
      const sent = await chat.send(roomId, peer.userId, content, extra);
      const text = typeof content === "string";
      const shown = {
        id: sent.id,
        roomId,
        seq: sent.seq,
        senderId: chat.userId,
        sentAt: sent.sentAt,
        mine: true,
        kind: text ? ("text" as const) : ("bytes" as const),
        text: text ? content : null,
        bytes: text ? null : content,
        message: sent,
      };
      remember(shown);
      add([shown]);
      patchRoom(roomId, (r) => ({
        lastSeq: Math.max(r.lastSeq, sent.seq),
        lastMessageAt: sent.sentAt,
      }));
    },
    [roomId, add, typing],
  );

  const sendText = useCallback((text: string) => sendContent(text), [sendContent]);

  const sendFile = useCallback(
    async (file: File) => {
      if (file.size > MAX_ATTACHMENT_BYTES) {
        throw new Error("That file is too large: attachments can be up to 10 MB.");
      }
      const sealed = await encryptFile(new Uint8Array(await file.arrayBuffer()));
      const mediaId = await uploadMedia(roomId, sealed.ciphertext);
      const ref = {
        mediaId,
        key: sealed.key,
        iv: sealed.iv,
        name: file.name,
        type: file.type,
        size: file.size,
      };
      await sendContent(encodeRef(ref), { mediaIds: [mediaId] });
    },
    [roomId, sendContent],
  );

  return {
    room,
    items,
    hasMore,
    loadingOlder,
    error,
    ready,
    peerTyping,
    retry: () => setAttempt((n) => n + 1),
    loadOlder,
    sendText,
    sendFile,
    typing,
  };
}
