import type en from "../en/listings.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
