import { browserJourneys } from "./journeys.js";
import { openWebKit } from "./webdriver.js";

browserJourneys("WebKit", openWebKit);
