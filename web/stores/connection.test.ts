import { beforeEach, describe, expect, it } from "vitest";
import { connectionDisplay, useConnection } from "./connection.js";

describe("connection indicator", () => {
  beforeEach(() => useConnection.getState().reset());

  it("shows connecting only until something is known, and stays offline through retries instead of flickering", () => {
    const { setStatus } = useConnection.getState();
    expect(useConnection.getState().status).toBe("connecting");
    setStatus("online", "ws");
    expect(useConnection.getState()).toMatchObject({ status: "online", transport: "ws" });
    setStatus("offline", null);
    for (let i = 0; i < 3; i++) {
      setStatus("connecting", null); // a retry
      expect(useConnection.getState().status).toBe("offline");
      setStatus("offline", null);
    }
    setStatus("online", "sse");
    expect(useConnection.getState()).toMatchObject({ status: "online", transport: "sse" });
    setStatus("connecting", null); // a switch while online is shown
    expect(useConnection.getState().status).toBe("connecting");
  });

  it("starts over at connecting for a new session", () => {
    useConnection.getState().setStatus("offline", null);
    useConnection.getState().reset();
    expect(useConnection.getState().status).toBe("connecting");
  });

  it("a drop says connecting; a failed attempt says unreachable until the link is back; the browser's offline wins", () => {
    const { setStatus, setBrowserOffline } = useConnection.getState();
    setBrowserOffline(false);
    const shown = () => connectionDisplay(useConnection.getState());
    setStatus("online", "ws");
    setStatus("offline", null); // the link dropped: not known to be the server's fault yet
    expect(shown()).toBe("connecting");
    setStatus("connecting", null);
    setStatus("offline", null); // the retry failed
    expect(shown()).toBe("unreachable");
    setStatus("connecting", null);
    expect(shown()).toBe("unreachable"); // no flicker through the retries
    setBrowserOffline(true);
    expect(shown()).toBe("offline");
    setBrowserOffline(false); // a network again: the next attempt decides
    expect(shown()).toBe("connecting");
    setStatus("online", "ws");
    expect(shown()).toBe("online");
  });
});
