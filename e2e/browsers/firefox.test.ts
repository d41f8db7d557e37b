import { browserJourneys } from "./journeys.js";
import { openFirefox } from "./puppeteer-driver.js";

browserJourneys("Firefox", openFirefox);
