// Choosing a profile photo: a file input styled as a button, a preview, the upload.

import { useEffect, useId, useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { accountApi } from "./api";
import { Avatar } from "./parts";

const ACCEPTED = "image/jpeg,image/png,image/webp";

export function PhotoPicker({
  photoUrl,
  first,
  last,
  onUploaded,
}: {
  photoUrl: string | null;
  first: string;
  last: string;
  onUploaded: (photoUrl: string | null) => void;
}) {
  const id = useId();
  const [preview, setPreview] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);
  const upload = async (file: File) => {
    setBusy(true);
    setError(null);
    setStatus("Uploading your photo…");
    setPreview(URL.createObjectURL(file));
    try {
      const saved = await accountApi.uploadPhoto(file);
      onUploaded(saved.photoUrl);
      setStatus("Photo saved.");
    } catch (caught) {
      setPreview(null);
      setStatus("");
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await accountApi.deletePhoto();
      setPreview(null);
      onUploaded(null);
      setStatus("Photo removed.");
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="photo-picker">
      <Avatar photoUrl={photoUrl} first={first} last={last} preview={preview} />
      <div class="photo-actions">
        <input
          id={id}
          class="file-input"
          type="file"
          accept={ACCEPTED}
          disabled={busy}
          aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`}
          onChange={(event) => {
            const file = event.currentTarget.files?.[0];
            event.currentTarget.value = "";
            if (file) void upload(file);
          }}
        />
        <label for={id} class="btn btn-secondary">
          {photoUrl || preview ? "Choose another photo" : "Choose a photo"}
        </label>
        {(photoUrl || preview) && (
          <button type="button" class="btn btn-ghost" disabled={busy} onClick={remove}>
            Remove photo
          </button>
        )}
        <p class="hint" id={`${id}-hint`}>
          JPEG, PNG or WebP. Matches see it; strangers nearby only if you let them.
        </p>
        <p class="visually-hidden" role="status">
          {status}
        </p>
        {error && (
          <p class="field-error" id={`${id}-error`} role="alert">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}
