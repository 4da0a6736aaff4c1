// Response shapes of the JSON auth API, for its docs (OpenAPI, Postman); the handlers build these objects.
import { z } from 'zod';

export const user = z.object({
  id: z.uuid(),
  tenantId: z.string(),
  email: z.email(),
  username: z.string().nullable(),
  emailVerified: z.boolean(),
  status: z.enum(['active', 'disabled']),
  roles: z.array(z.string()),
  lastLoginAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});

export const tokenPair = z.object({
  accessToken: z.string().describe('A JWT (RFC 9068, typ at+jwt)'),
  refreshToken: z.string().describe('Opaque; rotates on every use'),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('Seconds until the access token expires'),
  sessionId: z.string(),
});

export const signedIn = tokenPair.extend({ user });

/** Guide, "MFA Required Error": the body of a 401 that asks for the second factor. */
export const mfaChallenge = z.object({
  success: z.literal(false),
  mfaRequired: z.literal(true),
  mfaToken: z.string(),
  message: z.literal('MFA verification required'),
  mfaEnrollmentRequired: z.boolean().optional().describe('Present when the tenant requires MFA and the user must enrol first'),
});

export const enrolment = z.object({
  secret: z.string(),
  otpauthUri: z.string(),
  qrCode: z.string().describe('A PNG data URL of the otpauth URI, for authenticator apps'),
});

/** The device of a session or event, as services/devices.ts names it from the user agent. */
export const device = z
  .string()
  .nullable()
  .describe('A short name for the device: browser and system ("Chrome · macOS"), or the start of the user agent');

export const session = z.object({
  id: z.string(),
  current: z.boolean(),
  clientId: z.string().nullable(),
  amr: z.array(z.string()),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  device,
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
