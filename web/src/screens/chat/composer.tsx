// Writing a message: Enter sends (Shift+Enter is a new line), the peer sees "typing" while the
// person writes, and a failed send keeps the text and says why, once, above the box.

import { useId, useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { Icon } from "../../ui/icons";

export function Composer({
  disabled,
  onSend,
  onFile,
  onTyping,
}: {
  disabled: boolean;
  onSend: (text: string) => Promise<void>;
  onFile: (file: File) => Promise<void>;
  onTyping: (active: boolean) => void;
}) {
  const id = useId();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const attach = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = "";
    if (!file || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onFile(file);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };

  const submit = async (event?: Event) => {
    event?.preventDefault();
    const body = text.trim();
    if (!body || busy || disabled) return;
    setBusy(true);
    setError(null);
    try {
      await onSend(body);
      setText("");
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="composer" onSubmit={submit}>
      {error && (
        <p class="form-error composer-error" role="alert" id={`${id}-error`}>
          {error}
        </p>
      )}
      <div class="composer-row">
        <label class="icon-button attach-button" title="Attach a photo or file">
          <input
            type="file"
            class="visually-hidden"
            disabled={disabled || busy}
            onChange={(event) => void attach(event.currentTarget)}
          />
          <Icon name="paperclip" size={22} />
          <span class="visually-hidden">Attach a photo or file</span>
        </label>
        <label for={id} class="visually-hidden">
          Message
        </label>
        <textarea
          id={id}
          rows={1}
          value={text}
          placeholder="Message"
          maxLength={2000}
          disabled={disabled}
          aria-describedby={error ? `${id}-error` : undefined}
          onInput={(event) => {
            const value = event.currentTarget.value;
            setText(value);
            onTyping(value.trim().length > 0);
          }}
          onBlur={() => onTyping(false)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && !event.shiftKey && !event.isComposing) void submit(event);
          }}
        />
        <button
          type="submit"
          class="send-button"
          disabled={disabled || busy || text.trim() === ""}
          aria-busy={busy || undefined}
        >
          <Icon name="send" size={20} />
          <span class="visually-hidden">Send</span>
        </button>
      </div>
    </form>
  );
}
