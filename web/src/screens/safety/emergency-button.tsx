/** The one-tap emergency button on every signed-in screen (to be built). */
export function EmergencyButton() {
  return null;
}
