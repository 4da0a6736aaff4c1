// A short name for the device behind a user agent, as the account center and the login pages show sessions:
// browser and system ("Chrome · macOS"), or the start of the agent itself for apps and scripts.

export function deviceName(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const browser = firstMatch(userAgent, [
    [/Edg\//, 'Edge'],
    [/Firefox\//, 'Firefox'],
    [/Chrom(e|ium)\//, 'Chrome'],
    [/Safari\//, 'Safari'],
  ]);
  const system = firstMatch(userAgent, [
    [/Android/, 'Android'],
    [/iPhone|iPad/, 'iOS'],
    [/Windows/, 'Windows'],
    [/Mac OS X/, 'macOS'],
    [/Linux/, 'Linux'],
  ]);
  return browser ? `${browser}${system ? ` · ${system}` : ''}` : userAgent.slice(0, 60);
}

function firstMatch(text: string, names: ReadonlyArray<readonly [RegExp, string]>): string | undefined {
  return names.find(([pattern]) => pattern.test(text))?.[1];
}
