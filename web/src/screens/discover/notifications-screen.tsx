// The in-app notifications: what arrived while the app was open (people near, requests,
// matches, messages, safety and account notices), newest first. Opening the list reads them.

import { useEffect, useState } from "preact/hooks";
import { ago } from "../../ui/format";
import { Icon, type IconName } from "../../ui/icons";
import { Button, Empty, Screen } from "../../ui/kit";
import { clearNotes, notes, readAll } from "./notifications";

const ICONS: Record<string, IconName> = {
  nearby: "near",
  request: "wave",
  match: "heart",
  message: "mail",
  safety: "shield",
  account: "lock",
};

export function NotificationsScreen() {
  const list = notes.value;
  // Read when seen; the ones new on this visit keep their mark until the person leaves.
  const [fresh] = useState(() => new Set(list.filter((n) => !n.read).map((n) => n.id)));
  useEffect(() => {
    readAll();
    return readAll;
  }, []);
  const now = new Date();
  return (
    <Screen
      title="Notifications"
      actions={
        list.length > 0 && (
          <Button variant="ghost" onClick={clearNotes}>
            Clear all
          </Button>
        )
      }
    >
      {list.length === 0 ? (
        <Empty title="You're all caught up">
          <p>
            When someone near you shares your interests, says hi or matches with you, you'll see it
            here.
          </p>
        </Empty>
      ) : (
        <ul class="card list dsc-notes" aria-label="Notifications">
          {list.map((note) => {
            const body = (
              <>
                <span class="icon-tile dsc-note-icon" aria-hidden="true">
                  <Icon name={ICONS[note.kind] ?? "star"} />
                </span>
                <span class="grow">
                  <span class="dsc-note-title">
                    {note.title}
                    {fresh.has(note.id) && <span class="visually-hidden"> (new)</span>}
                  </span>
                  {note.body && <span class="dsc-note-body">{note.body}</span>}
                  <span class="dsc-note-time">{ago(note.at, now)}</span>
                </span>
                {fresh.has(note.id) && <span class="dsc-new-dot" aria-hidden="true" />}
              </>
            );
            return (
              <li key={note.id} class="dsc-note">
                {note.href ? (
                  <a href={note.href} class="dsc-note-link">
                    {body}
                  </a>
                ) : (
                  <div class="dsc-note-link">{body}</div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </Screen>
  );
}
