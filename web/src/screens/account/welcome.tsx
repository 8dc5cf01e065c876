import { Screen } from "../../ui/kit";

export function Welcome() {
  return (
    <Screen title="Meet people nearby, safely">
      <p>Disco tells you when someone who shares your interests is close by.</p>
    </Screen>
  );
}
