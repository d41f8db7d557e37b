import { Component, type ErrorInfo, type ReactNode } from "react";
import { Translation } from "react-i18next";
import { removeFirstPaint } from "./boot/save-first-paint.js";

/** Last line of defence: a broken screen offers a reload instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    // Nothing of the list as last drawn stays over the reason the screen is gone.
    removeFirstPaint();
    console.error("courier: screen crashed", error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <Translation>
        {(t) => (
          <main className="auth" role="alert">
            <div className="auth-card">
              <h1 className="brand-title">{t("connection.crash.title")}</h1>
              <p className="muted">{this.state.error?.message}</p>
              <button type="button" className="primary" onClick={() => location.reload()}>
                {t("connection.crash.reload")}
              </button>
            </div>
          </main>
        )}
      </Translation>
    );
  }
}
