// Real TOTP codes for tests, computed from the secret the server returned (RFC 6238, 30 s steps).
import { generate } from 'otplib';

/** The code for the current step, or for `stepsFromNow` steps away. */
export function totp(secret: string, stepsFromNow = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + stepsFromNow * 30 });
}
