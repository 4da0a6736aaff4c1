// The languages of the sign-in pages: the client's `ui_locales` (OIDC Core §3.1.2.1, space-separated BCP 47 tags in
// order of preference) picks the first one we have texts for, else English. Every page carries it as its `lang`; the
// sign-in and second-factor pages, and the refusals they show, are translated, other pages are in English.
export const PAGE_LOCALES = ['en', 'fr'] as const;
export type PageLocale = (typeof PAGE_LOCALES)[number];

export interface PageTexts {
  signInTo: (tenant: string) => string;
  toContinueTo: string;
  login: string;
  password: string;
  signIn: string;
  forgotPassword: string;
  createAccount: string;
  cancel: string;
  mfaTitle: string;
  mfaIntro: string;
  code: string;
  verify: string;
  backupCodeBefore: string;
  backupCodeAfter: string;
  /** The refusals of the sign-in form, by error code, in plain words. */
  errors: Partial<Record<string, string>>;
}

const TEXTS: Record<PageLocale, PageTexts> = {
  en: {
    signInTo: (tenant) => `Sign in to ${tenant}`,
    toContinueTo: 'to continue to',
    login: 'Email or username',
    password: 'Password',
    signIn: 'Sign in',
    forgotPassword: 'Forgot password?',
    createAccount: 'Create an account',
    cancel: 'Cancel',
    mfaTitle: 'Two-step verification',
    mfaIntro: 'Enter the 6-digit code from your authenticator app to continue to',
    code: 'Code',
    verify: 'Verify',
    backupCodeBefore: 'No access to your app? Enter one of your backup codes (like',
    backupCodeAfter: ') instead.',
    errors: {
      INVALID_CREDENTIALS: 'The email, username or password is not right. Check them and try again.',
      INVALID_MFA_CODE: 'That code is not right or was already used. Enter the current code from your app, or a backup code.',
      RATE_LIMIT_EXCEEDED: 'Too many attempts in a short time. Wait a moment, then try again.',
    },
  },
  fr: {
    signInTo: (tenant) => `Se connecter à ${tenant}`,
    toContinueTo: 'pour continuer vers',
    login: 'E-mail ou nom d’utilisateur',
    password: 'Mot de passe',
    signIn: 'Se connecter',
    forgotPassword: 'Mot de passe oublié ?',
    createAccount: 'Créer un compte',
    cancel: 'Annuler',
    mfaTitle: 'Vérification en deux étapes',
    mfaIntro: 'Saisissez le code à 6 chiffres de votre application d’authentification pour continuer vers',
    code: 'Code',
    verify: 'Vérifier',
    backupCodeBefore: 'Pas d’accès à votre application ? Saisissez plutôt l’un de vos codes de secours (comme',
    backupCodeAfter: ').',
    errors: {
      INVALID_CREDENTIALS: 'L’e-mail, le nom d’utilisateur ou le mot de passe n’est pas correct. Vérifiez-les et réessayez.',
      INVALID_MFA_CODE: 'Ce code n’est pas correct ou a déjà servi. Saisissez le code actuel de votre application, ou un code de secours.',
      RATE_LIMIT_EXCEEDED: 'Trop de tentatives en peu de temps. Patientez un instant, puis réessayez.',
    },
  },
};

/** The first of the requested languages we have texts for (by exact tag, then by its primary language), else English. */
export function pageLocale(uiLocales: unknown): PageLocale {
  if (typeof uiLocales !== 'string') return 'en';
  for (const tag of uiLocales.split(' ').filter(Boolean)) {
    const primary = tag.toLowerCase().split('-')[0];
    const found = PAGE_LOCALES.find((locale) => locale === tag.toLowerCase() || locale === primary);
    if (found) return found;
  }
  return 'en';
}

export function pageTexts(locale: PageLocale): PageTexts {
  return TEXTS[locale];
}
