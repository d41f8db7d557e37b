import type en from "../en/photos.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
