// Live, non-blocking notices (someone came into range, a new match...): announced politely,
// dismissed by the person or after a while, never stealing focus.

import { signal } from "@preact/signals";

export interface Toast {
  id: number;
  text: string;
  href?: string | undefined;
  tone?: "info" | "success" | "warning" | undefined;
}

export const toasts = signal<Toast[]>([]);
let nextId = 1;

export function toast(text: string, options: { href?: string; tone?: Toast["tone"] } = {}): void {
  const item: Toast = { id: nextId++, text, href: options.href, tone: options.tone };
  toasts.value = [...toasts.value.slice(-2), item];
  setTimeout(() => dismiss(item.id), 8_000);
}

export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((item) => item.id !== id);
}

export function Toasts() {
  return (
    <div class="toasts" aria-live="polite">
      {toasts.value.map((item) => (
        <div key={item.id} class={`toast toast-${item.tone ?? "info"}`}>
          {item.href ? <a href={item.href}>{item.text}</a> : <span>{item.text}</span>}
          <button
            type="button"
            class="toast-close"
            aria-label="Dismiss"
            onClick={() => dismiss(item.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
