import type { Route } from "../../routes";
import { MatchesScreen } from "./matches";
import { ReportScreen } from "./report";
import { RoomScreen } from "./room";
import { SafetyNumberScreen } from "./safety-number";
import "./chat.css";

export const chatRoutes: Route[] = [
  { path: "/matches", component: MatchesScreen, access: "signedIn" },
  { path: "/chat/:roomId", component: RoomScreen, access: "signedIn" },
  { path: "/chat/:roomId/safety-number", component: SafetyNumberScreen, access: "signedIn" },
  { path: "/chat/:roomId/report", component: ReportScreen, access: "signedIn" },
];
