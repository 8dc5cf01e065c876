// The landing screen for signed-out people: what Disco is, its safety promise, and the way in.

import { Icon, type IconName } from "../../ui/icons";
import { useHeading } from "../../ui/use-heading";

const PROMISES: { icon: IconName; title: string; text: string }[] = [
  {
    icon: "toggle",
    title: "Only when you choose",
    text: "Discovery is off until you switch it on, and it can switch itself off at a time you pick.",
  },
  {
    icon: "pin-hidden",
    title: "Never your exact location",
    text: "People nearby see a distance like “within 500 ft”, never where you are.",
  },
  {
    icon: "lock",
    title: "Private by design",
    text: "Chats are end-to-end encrypted, and help is one press away if you need it.",
  },
];

export function Welcome() {
  const heading = useHeading("Welcome");
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
              <Icon name={item.icon} size={22} />
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
