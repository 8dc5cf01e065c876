// The shared pieces every screen is built from, so the app looks like one app.

import type { ComponentChildren, JSX } from "preact";
import { useHeading } from "./use-heading";

type ButtonProps = JSX.ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: "primary" | "secondary" | "ghost" | "danger";
  busy?: boolean;
  type?: "button" | "submit";
};

export function Button({
  variant = "primary",
  busy,
  type = "button",
  children,
  ...rest
}: ButtonProps) {
  return (
    <button
      type={type}
      class={`btn btn-${variant}`}
      disabled={busy || rest.disabled}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <span class="spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

/** A screen: its heading (focused on arrival, as a page load would), a back link, its body. */
export function Screen({
  title,
  back,
  actions,
  children,
  wide,
}: {
  title: string;
  back?: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const heading = useHeading(title);
  return (
    <section class={`screen${wide ? " wide" : ""}`}>
      <div class="screen-head">
        {back && (
          <a class="back" href={`#${back}`} aria-label="Back">
            ‹
          </a>
        )}
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {actions && <div class="screen-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export function Card({ children, class: extra }: { children: ComponentChildren; class?: string }) {
  return <div class={`card${extra ? ` ${extra}` : ""}`}>{children}</div>;
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children && <div class="empty-body">{children}</div>}
    </div>
  );
}

/** A failure to load something: the reason and a way to try again. */
export function LoadError({ message, retry }: { message: string; retry?: () => void }) {
  return (
    <div class="load-error" role="alert">
      <p>{message}</p>
      {retry && (
        <Button variant="secondary" onClick={retry}>
          Try again
        </Button>
      )}
    </div>
  );
}

/** An on/off switch with a visible label (a checkbox with role="switch"). */
export function Toggle({
  label,
  checked,
  onChange,
  disabled,
  hint,
}: {
  label: string;
  checked: boolean;
  onChange: (on: boolean) => void;
  disabled?: boolean;
  hint?: ComponentChildren;
}) {
  return (
    <label class="toggle">
      <span class="toggle-text">
        <span>{label}</span>
        {hint && <span class="hint">{hint}</span>}
      </span>
      <input
        type="checkbox"
        role="switch"
        aria-checked={checked}
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChange(event.currentTarget.checked)}
      />
      <span class="toggle-track" aria-hidden="true" />
    </label>
  );
}
