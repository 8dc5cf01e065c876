// The landing screen for signed-out people: what Disco is, its safety promise, and the way in.

import { useEffect, useRef } from "preact/hooks";

// Icons drawn here (no icon font, nothing fetched): a switch, a blurred pin, a lock.
const ICONS = {
  toggle: (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
      <rect x="2" y="7" width="20" height="10" rx="5" />
      <circle cx="16" cy="12" r="3" fill="currentColor" />
    </svg>
  ),
  pin: (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
      <path d="M12 21s-7-6.2-7-11.5A7 7 0 0 1 19 9.5C19 14.8 12 21 12 21z" />
      <path d="M4 4l16 16" />
    </svg>
  ),
  lock: (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
      <rect x="4" y="10" width="16" height="11" rx="2" />
      <path d="M8 10V7a4 4 0 0 1 8 0v3" />
    </svg>
  ),
};

const PROMISES = [
  {
    icon: ICONS.toggle,
    title: "Only when you choose",
    text: "Discovery is off until you switch it on, and it can switch itself off at a time you pick.",
  },
  {
    icon: ICONS.pin,
    title: "Never your exact location",
    text: "People nearby see a distance like “within 500 ft”, never where you are.",
  },
  {
    icon: ICONS.lock,
    title: "Private by design",
    text: "Chats are end-to-end encrypted, and help is one press away if you need it.",
  },
];

export function Welcome() {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = "Welcome · Disco";
    heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <section class="welcome">
      <div class="welcome-hero">
        <div class="welcome-rings" aria-hidden="true">
          <span />
          <span />
          <span />
          <b>●</b>
        </div>
        <h1 ref={heading} tabIndex={-1}>
          Meet people nearby, safely
        </h1>
        <p class="welcome-lead">
          Disco lets you know when someone who shares your interests is close by — for a coffee, a
          walk or a chat, right now.
        </p>
      </div>
      <ul class="welcome-promises">
        {PROMISES.map((item) => (
          <li key={item.title}>
            <span class="promise-icon" aria-hidden="true">
              {item.icon}
            </span>
            <span>
              <strong>{item.title}</strong>
              <span class="promise-text">{item.text}</span>
            </span>
          </li>
        ))}
      </ul>
      <div class="welcome-actions">
        <a class="btn btn-primary block" href="#/signup">
          Create an account
        </a>
        <a class="btn btn-secondary block" href="#/login">
          Sign in
        </a>
      </div>
    </section>
  );
}
