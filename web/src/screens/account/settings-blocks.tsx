// Settings: the people this person blocked, and unblocking them.

import { useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { Card, Empty, LoadError, Loading, Screen } from "../../ui/kit";
import { toast } from "../../ui/toasts";
import { useLoad } from "../../ui/use-load";
import { accountApi, type Block } from "./api";
import { initials } from "./logic";

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function BlocksSettings() {
  const loaded = useLoad(async () => (await accountApi.blocks()).blocks);
  return (
    <Screen title="Blocked people" back="/me">
      <p class="hint">
        A block works both ways: neither of you sees, matches, messages or hears about the other.
      </p>
      {loaded.state === "loading" && <Loading />}
      {loaded.state === "failed" && <LoadError message={loaded.message} retry={loaded.reload} />}
      {loaded.state === "ready" &&
        (loaded.value.length === 0 ? (
          <Card>
            <Empty title="Nobody is blocked">
              You can block someone from their profile or your conversation with them.
            </Empty>
          </Card>
        ) : (
          <Card>
            <ul class="list" aria-label="Blocked people">
              {loaded.value.map((block, index) => (
                <BlockRow
                  key={block.userId}
                  block={block}
                  n={index + 1}
                  onGone={() => loaded.set(loaded.value.filter((b) => b.userId !== block.userId))}
                />
              ))}
            </ul>
          </Card>
        ))}
    </Screen>
  );
}

function BlockRow({ block, n, onGone }: { block: Block; n: number; onGone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const who = block.firstName ?? `Deleted account ${n}`;
  const unblock = async () => {
    setBusy(true);
    setError(null);
    try {
      await accountApi.unblock(block.userId);
      toast(`${who} is unblocked.`, { tone: "success" });
      onGone();
    } catch (caught) {
      setError(messageOf(caught));
      setBusy(false);
    }
  };
  return (
    <li>
      <span class="avatar avatar-small" aria-hidden="true">
        {initials(who)}
      </span>
      <span class="grow">
        <span class="settings-title">{who}</span>
        <span class="settings-text">
          Since {DATE.format(new Date(block.createdAt))}
          {block.until ? `, until ${DATE.format(new Date(block.until))}` : ""}
        </span>
        {error && (
          <span class="field-error" role="alert">
            {error}
          </span>
        )}
      </span>
      <button
        type="button"
        class="btn btn-secondary"
        disabled={busy}
        aria-label={`Unblock ${who}`}
        onClick={unblock}
      >
        Unblock
      </button>
    </li>
  );
}
