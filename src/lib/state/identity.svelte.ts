import {
  parseIdentity,
  pickColor,
  savedProfile,
  type Identity,
  type Profile
} from '../model/identity.js';
import { defaultWorkingTime, detectTimeZone, workingTimeError } from '../model/people.js';
import { newDocumentId } from '../model/workspaceIndex.js';

export const IDENTITY_KEY = 'driftwrite:identity';

/**
 * The person using this device: a stable person id made here once, a display
 * name, colour and working time, remembered in localStorage. The workspace
 * member list mirrors it (AppState registers it in the index).
 */
export class IdentityState {
  current = $state<Identity | null>(null);
  /** A colour to offer before the user has picked one. */
  readonly suggestedColor: string;
  /** The zone this device reports, offered as the default. */
  readonly detectedZone: string;

  constructor(private readonly storage: Storage) {
    this.detectedZone = detectTimeZone();
    this.current = parseIdentity(storage.getItem(IDENTITY_KEY), this.detectedZone);
    this.suggestedColor = pickColor(Math.random() * 1000);
  }

  /**
   * What a profile form starts from: the saved profile, or before there is
   * one, no name, the suggested colour and the usual hours in this device's zone.
   */
  get startingProfile(): Profile {
    return (
      this.current ?? {
        name: '',
        color: this.suggestedColor,
        ...defaultWorkingTime(this.detectedZone)
      }
    );
  }

  save(profile: Profile): Identity {
    return this.write(this.current?.userId ?? newDocumentId(), profile);
  }

  /**
   * Saves the profile under the person id the relay gave this device when it
   * joined (usually the id it already had). What was written on this device
   * under an earlier id keeps that id: it is history, not rewritten.
   */
  adopt(personId: string, profile: Profile): Identity {
    if (!personId) throw new Error('The relay gave no person id.');
    return this.write(personId, profile);
  }

  /** The id to offer the relay when joining: the one this device already uses, or a new one. */
  proposedId(): string {
    return this.current?.userId ?? newDocumentId();
  }

  private write(userId: string, profile: Profile): Identity {
    const identity: Identity = { userId, ...savedProfile(profile), updatedAt: Date.now() };
    if (!identity.name) throw new Error('A display name is needed so others know who wrote what.');
    const problem = workingTimeError(identity);
    if (problem) throw new Error(problem);
    this.storage.setItem(IDENTITY_KEY, JSON.stringify(identity));
    this.current = identity;
    return identity;
  }
}
