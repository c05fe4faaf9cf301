/** The browser's idea of whether there is a network, as a tiny subscribable. */
export interface Connectivity {
  readonly online: boolean;
  /** Calls back on every change; returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void;
}

export function browserConnectivity(target: Window = window): Connectivity {
  return {
    get online() {
      return target.navigator.onLine;
    },
    subscribe(listener) {
      const onOnline = () => listener(true);
      const onOffline = () => listener(false);
      target.addEventListener('online', onOnline);
      target.addEventListener('offline', onOffline);
      return () => {
        target.removeEventListener('online', onOnline);
        target.removeEventListener('offline', onOffline);
      };
    }
  };
}

/** A switch for tests and for Node, where no browser events exist. */
export function manualConnectivity(initial = true): Connectivity & { set(online: boolean): void } {
  let online = initial;
  const listeners = new Set<(online: boolean) => void>();
  return {
    get online() {
      return online;
    },
    set(next: boolean) {
      if (next === online) return;
      online = next;
      for (const listener of listeners) listener(online);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }
  };
}
