// An attachment in a bubble: fetched and decrypted on this device when shown; a photo shows
// inline, anything else as a download link under its name.

import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { Icon } from "../../ui/icons";
import { type AttachmentRef, attachmentUrl, isInlineImage } from "./attachments";

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function AttachmentView({
  roomId,
  attachment,
}: {
  roomId: string;
  attachment: AttachmentRef;
}) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    attachmentUrl(roomId, attachment).then(
      (found) => live && setUrl(found),
      (caught) => live && setError(messageOf(caught)),
    );
    return () => {
      live = false;
    };
  }, [roomId, attachment.mediaId]);
  const image = isInlineImage(attachment.type);
  if (error) {
    return (
      <p class="attachment-missing">
        <Icon name="paperclip" size={16} />
        {attachment.name}: {error}
      </p>
    );
  }
  if (!url) {
    return (
      <p class="attachment-loading">
        <span class="spinner" aria-hidden="true" /> Decrypting {attachment.name}…
      </p>
    );
  }
  if (image) {
    return (
      <a href={url} download={attachment.name} class="attachment-photo">
        <img src={url} alt={`Photo: ${attachment.name}`} />
      </a>
    );
  }
  return (
    <a href={url} download={attachment.name} class="attachment-file">
      <Icon name="paperclip" size={16} /> {attachment.name}{" "}
      <span class="attachment-size">({sizeText(attachment.size)})</span>
    </a>
  );
}
