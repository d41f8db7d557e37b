import { browserJourneys } from "./journeys.js";
import { openWebKit } from "./webdriver.js";

browserJourneys("WebKit", openWebKit, {
  // web/push/push-client.ts registers the service worker only where PushManager exists, and WebKitGTK has none (issue 17's
  // "installable" part registers it wherever serviceWorker exists). Remove this once that is merged; COURIER_BROWSERS_FIXME=1 runs it anyway.
  offlineStartFixme: "WebKit gets no service worker until registerServiceWorker() stops requiring PushManager",
});
