import type en from "../en/offers.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
