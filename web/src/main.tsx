// The shared styles first, so an area's own rules win over them at equal specificity.
import "./styles.css";
import { render } from "preact";
import { connect } from "./api/live";
import { App } from "./app";
import { takeOAuthReturn } from "./screens/account/oauth";
import { startChatLive } from "./screens/chat/live";
import { startDiscoverLive } from "./screens/discover/live";
import { startSafetyLive } from "./screens/safety/live";

takeOAuthReturn(); // before the router reads the address: a provider's answer works once

// Each area listens for its frames (nearby, messages, alerts...) on every screen.
startDiscoverLive();
startChatLive();
startSafetyLive();

const root = document.getElementById("app");
if (root) render(<App />, root);
connect(); // the socket belongs to the session, whichever screen is showing
