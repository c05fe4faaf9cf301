/**
 * Who is using this device: a person id made here once, a display name and
 * caret colour, and the working time that deadlines asked of them respect.
 * The same fields are registered in the workspace member list (people.ts).
 */
import { readWorkingTime, workingTimeError, type Person, type WorkingTime } from './people.js';
import { isColor, normalizeName, MAX_NAME_LENGTH } from './names.js';

export { isColor, normalizeName, MAX_NAME_LENGTH };

export interface Identity extends WorkingTime {
  /** The stable person id. */
  userId: string;
  name: string;
  color: string;
  /** When the profile was last saved (ms), so the newest save wins in the member list. */
  updatedAt: number;
}

/** Colours readable as caret and label backgrounds with white text (WCAG AA for bold labels). */
export const IDENTITY_COLORS = [
  '#1f6feb',
  '#8250df',
  '#bf3989',
  '#cf222e',
  '#bc4c00',
  '#1a7f37',
  '#0a7b83',
  '#57606a'
] as const;

/** What a screen reader says for each colour. */
export const COLOR_NAMES: Record<(typeof IDENTITY_COLORS)[number], string> = {
  '#1f6feb': 'Blue',
  '#8250df': 'Purple',
  '#bf3989': 'Pink',
  '#cf222e': 'Red',
  '#bc4c00': 'Orange',
  '#1a7f37': 'Green',
  '#0a7b83': 'Teal',
  '#57606a': 'Grey'
};

/**
 * Reads a stored identity; anything malformed gives null (the user picks
 * again). An identity saved before working time existed gets the defaults in
 * `detectedZone`, keeping its person id.
 */
export function parseIdentity(raw: string | null, detectedZone = 'UTC'): Identity | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<Record<keyof Identity, unknown>>;
    const name = typeof value.name === 'string' ? normalizeName(value.name) : '';
    if (typeof value.userId !== 'string' || !value.userId || !name || !isColor(value.color)) {
      return null;
    }
    return {
      userId: value.userId,
      name,
      color: value.color,
      updatedAt: typeof value.updatedAt === 'number' ? value.updatedAt : 0,
      ...readWorkingTime({ ...value, timeZone: value.timeZone ?? detectedZone })
    };
  } catch {
    return null;
  }
}

export function pickColor(seed: number): string {
  return IDENTITY_COLORS[Math.abs(Math.floor(seed)) % IDENTITY_COLORS.length];
}

/** This device's person as the member list holds them. */
export function personOf(identity: Identity): Person {
  return {
    id: identity.userId,
    name: identity.name,
    color: identity.color,
    timeZone: identity.timeZone,
    workStart: identity.workStart,
    workEnd: identity.workEnd,
    workDays: [...identity.workDays],
    updatedAt: identity.updatedAt
  };
}

/** A person's profile as the identity dialog and the join page collect it. */
export type Profile = { name: string; color: string } & WorkingTime;

/** What is wrong with each part of a profile form: empty strings when nothing is. */
export interface ProfileProblems {
  name: string;
  time: string;
}

/**
 * What is wrong with a profile someone typed, per part of the form (empty
 * strings when it is fine): the identity dialog and the join page both ask.
 */
export function profileProblems(profile: { name: string } & WorkingTime): ProfileProblems {
  return {
    name: normalizeName(profile.name) ? '' : 'Type the name your teammates know you by.',
    time: workingTimeError(profile) ?? ''
  };
}

/**
 * A form's own copy of a profile: only the profile's fields (an Identity has
 * more), and its own list of days, so ticking a box changes nothing else.
 */
export function profileForm(profile: Profile): Profile {
  return {
    name: profile.name,
    color: profile.color,
    timeZone: profile.timeZone,
    workStart: profile.workStart,
    workEnd: profile.workEnd,
    workDays: [...profile.workDays]
  };
}

/**
 * A profile as it is stored and sent to the relay: the name normalized, the
 * days in calendar order (checkboxes give them in the order they were
 * ticked). A copy: the caller's own list of days is left as it is.
 */
export function savedProfile(profile: Profile): Profile {
  return {
    ...profileForm(profile),
    name: normalizeName(profile.name),
    workDays: [...profile.workDays].sort((a, b) => a - b)
  };
}

/**
 * What a filled-in profile form saves (savedProfile, and the zone without
 * the spaces around it); no profile while any part of the form has a problem.
 */
export function readProfileForm(form: Profile): {
  profile: Profile | null;
  problems: ProfileProblems;
} {
  const profile = { ...savedProfile(form), timeZone: form.timeZone.trim() };
  const problems = profileProblems(profile);
  return { profile: problems.name || problems.time ? null : profile, problems };
}
