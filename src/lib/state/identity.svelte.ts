import { normalizeName, parseIdentity, pickColor, type Identity } from '../model/identity.js';
import { newDocumentId } from '../model/workspaceIndex.js';

export const IDENTITY_KEY = 'driftwrite:identity';

/** The display name and colour chosen on this device, remembered in localStorage. */
export class IdentityState {
  current = $state<Identity | null>(null);
  /** A colour to offer before the user has picked one. */
  readonly suggestedColor: string;

  constructor(private readonly storage: Storage) {
    this.current = parseIdentity(storage.getItem(IDENTITY_KEY));
    this.suggestedColor = pickColor(Math.random() * 1000);
  }

  save(name: string, color: string): Identity {
    const identity: Identity = {
      userId: this.current?.userId ?? newDocumentId(),
      name: normalizeName(name),
      color
    };
    if (!identity.name) throw new Error('A display name is needed so others know who wrote what.');
    this.storage.setItem(IDENTITY_KEY, JSON.stringify(identity));
    this.current = identity;
    return identity;
  }
}
