// /chat/:roomId/safety-number: the number both people see, to compare in person or on a call,
// and its QR code (drawn here by the qrcode package, nothing fetched). Equal numbers mean no
// one sits between the two devices.

import { useEffect, useState } from "preact/hooks";
import QRCode from "qrcode";
import { messageOf } from "../../api/client";
import type { RouteProps } from "../../routes";
import { LoadError, Loading, Screen } from "../../ui/kit";
import { digitGroups } from "./format";
import { loadRoom, type Room, secureChat } from "./store";

interface Number_ {
  room: Room;
  groups: string[];
  qrSvg: string;
}

async function load(roomId: string): Promise<Number_> {
  const room = await loadRoom(roomId);
  const chat = await secureChat();
  const number = await chat.safetyNumber(room.peer.userId);
  const qrSvg = await QRCode.toString(number.qrPayload, {
    type: "svg",
    errorCorrectionLevel: "M",
    margin: 1,
    color: { dark: "#1f1b2e", light: "#ffffff" },
  });
  return { room, groups: digitGroups(number.digits), qrSvg };
}

export function SafetyNumberScreen({ params }: RouteProps) {
  const roomId = params.roomId ?? "";
  const [found, setFound] = useState<Number_ | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    load(roomId)
      .then((value) => live && setFound(value))
      .catch((caught) => live && setError(messageOf(caught)));
    return () => {
      live = false;
    };
  }, [roomId, attempt]);
  const name = found?.room.peer.name ?? "your match";
  return (
    <Screen title="Safety number" back={`/chat/${roomId}`}>
      {error ? (
        <LoadError message={error} retry={() => setAttempt((n) => n + 1)} />
      ) : !found ? (
        <Loading label="Computing your safety number…" />
      ) : (
        <div class="card safety-number">
          <p>
            Compare these numbers with {name}, in person or on a call. If they match on both phones,
            your chat is end-to-end encrypted with nobody in between.
          </p>
          <ol class="sn-digits" aria-label="Safety number, 12 groups of 5 digits">
            {found.groups.map((group, index) => (
              <li key={index}>{group}</li>
            ))}
          </ol>
          <div
            class="sn-qr"
            role="img"
            aria-label={`QR code of your safety number with ${name}`}
            dangerouslySetInnerHTML={{ __html: found.qrSvg }}
          />
          <p class="muted">
            The number changes when either of you installs Disco on a new device. If it changed and
            you don’t know why, compare it again before sharing anything private.
          </p>
        </div>
      )}
    </Screen>
  );
}
