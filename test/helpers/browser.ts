// A real browser for the login pages: Debian's Chromium driven by playwright-core (which downloads nothing).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/** `describe` for browser tests: skipped (with a note) where no Chromium is installed, required with CI=true. */
export function describeInBrowser(name: string, body: () => void): void {
  if (!chromiumAvailable() && process.env.CI !== 'true') {
    describe.skip(`${name} (no Chromium at ${CHROMIUM}: apt-get install chromium)`, body);
    return;
  }
  describe(name, body);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
