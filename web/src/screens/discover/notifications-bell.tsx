// The in-app notifications badge in the top bar: a link to the list, its unread count in both
// the badge and the link's name (the badge alone would be colour and a number).

import { here } from "../../router";
import { Icon } from "../../ui/icons";
import { unread } from "./notifications";

export function NotificationsBell() {
  const count = unread.value;
  const label = count ? `Notifications, ${count} unread` : "Notifications";
  const current = here.value.path === "/notifications";
  return (
    <a
      class="icon-button dsc-bell"
      href="#/notifications"
      aria-label={label}
      aria-current={current ? "page" : undefined}
    >
      <Icon name="bell" size={24} />
      {count > 0 && (
        <span class="badge dsc-bell-badge" aria-hidden="true">
          {count > 9 ? "9+" : count}
        </span>
      )}
    </a>
  );
}
