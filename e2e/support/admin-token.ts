/** The ADMIN_TOKEN of the e2e servers (playwright.config.ts), which e2e/admin-dashboard.spec.ts signs in with. Test-only. */
export const E2E_ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef";
