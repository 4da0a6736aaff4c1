// The admin console and the account center share their sign-in (public/common/oidc-session.js): a callback that this
// browser did not start (a stale or forged link) signs nobody in, says why, and leaves the app at its root.
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describeInBrowser('a sign-in callback this browser did not start', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  }, 60_000);
  afterAll(() => server.stop());

  it.each(['/admin', '/account'])(
    'at %s shows the reason and returns to the root',
    async (base) => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${server.url}${base}/callback?state=forged&code=forged`);
        await page.getByText('This sign-in was not started here. Please sign in again.').waitFor();
        expect(new URL(page.url()).pathname).toBe(`${base}/`);
        expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.endsWith('.tokens')))).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
