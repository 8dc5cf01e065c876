import { render } from "preact";
import { connect } from "./api/live";
import { App } from "./app";
import "./styles.css";

const root = document.getElementById("app");
if (root) render(<App />, root);
connect(); // the socket belongs to the session, whichever screen is showing
