/** The in-app notifications badge in the top bar (to be built). */
export function NotificationsBell() {
  return null;
}
