// The in-app notifications badge in the top bar: a link to the list, its unread count in both
// the badge and the link's name (the badge alone would be colour and a number).

import { here } from "../../router";
import { unread } from "./notifications";

export function NotificationsBell() {
  const count = unread.value;
  const label = count ? `Notifications, ${count} unread` : "Notifications";
  const current = here.value.path === "/notifications";
  return (
    <a
      class="dsc-bell"
      href="#/notifications"
      aria-label={label}
      aria-current={current ? "page" : undefined}
    >
      <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
        <path
          d="M12 3a6 6 0 0 0-6 6v3.6L4.3 15.4A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.6L18 12.6V9a6 6 0 0 0-6-6Zm0 19a3 3 0 0 0 2.8-2H9.2A3 3 0 0 0 12 22Z"
          fill="currentColor"
        />
      </svg>
      {count > 0 && (
        <span class="badge dsc-bell-badge" aria-hidden="true">
          {count > 9 ? "9+" : count}
        </span>
      )}
    </a>
  );
}
