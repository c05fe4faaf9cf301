import { Workbox } from 'workbox-window';
import type { Toasts } from './toasts.svelte.js';

/** Set once "Ready to work offline" has been said on this device. */
export const OFFLINE_READY_KEY = 'driftwrite:offline-ready';
export const OFFLINE_READY_MESSAGE =
  'Ready to work offline: Driftwrite now opens on this device without a network.';
/** Tabs of this app agree on an update over this channel. */
export const UPDATE_CHANNEL = 'driftwrite:update';
/** How often an open app asks the server for a new version. */
export const UPDATE_CHECK_MS = 30 * 60_000;
/** How long open tabs have to answer a roll call. */
export const ROLL_CALL_MS = 300;
/** A reload the person asked for waits until they have not typed for this long. */
export const TYPING_QUIET_MS = 1500;

type Message =
  | { type: 'roll-call'; from: string }
  | { type: 'here'; from: string; to: string; agreed: boolean }
  | { type: 'agreed'; from: string }
  | { type: 'gone'; from: string };

/**
 * New versions of the app, and the service worker that keeps it offline.
 *
 * A new version's service worker installs in the background and then waits:
 * the page says so, and nothing changes until the person presses Reload. Its
 * service worker is only told to take over (SKIP_WAITING) once every open tab
 * of the app has agreed; each tab that agreed then reloads, never one that
 * did not. Until then the old service worker keeps serving, with the old
 * chunks still in its cache, so a tab left open offline never asks for a
 * file the new version has cleaned away. Closing the other tabs counts as
 * agreeing.
 */
export class AppUpdates {
  /** A new version is installed and waiting for the person. */
  ready = $state(false);
  /** This tab's person pressed Reload. */
  agreed = $state(false);
  /** Open tabs of the app, besides this one, that have not agreed yet (after the last roll call). */
  othersWaiting = $state(0);
  /** Another tab has agreed and waits for this one. */
  otherAgreed = $state(false);
  /** The prompt was put aside for now ("Later"). */
  dismissed = $state(false);

  private readonly id = Math.random().toString(36).slice(2);
  private workbox: Workbox | null = null;
  private channel: BroadcastChannel | null = null;
  private lastKeyAt = -Infinity;
  private stopped = false;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  private readonly answers = new Map<string, boolean>();

  constructor(
    private readonly win: Window,
    private readonly toasts: Toasts
  ) {}

  /** Registers the service worker and follows its updates; returns the stop function. */
  start(): () => void {
    const container = this.win.navigator.serviceWorker;
    if (!container) return () => {};
    let controlled = container.controller !== null;
    const workbox = new Workbox('/sw.js', { scope: '/' });
    this.workbox = workbox;
    workbox.addEventListener('waiting', () => {
      if (!this.stopped) this.ready = true;
    });
    const onControllerChange = () => {
      if (this.stopped) return;
      if (!controlled) {
        controlled = true;
        this.sayOfflineReady();
        return;
      }
      // The new version took over: this tab reloads if its person asked.
      if (this.agreed) this.reloadWhenQuiet();
    };
    container.addEventListener('controllerchange', onControllerChange);
    workbox.register({ immediate: true }).then(
      (registration) => {
        if (!registration || this.stopped) return;
        this.registration = registration;
        this.noticeWaiting();
        // Besides workbox's own 'waiting': any worker that finishes installing
        // while another is active waits for us.
        registration.addEventListener('updatefound', () => {
          const installing = registration.installing;
          installing?.addEventListener('statechange', () => this.noticeWaiting());
        });
        if (controlled && !this.win.localStorage.getItem(OFFLINE_READY_KEY)) {
          // Controlled from the start (a reload): ready, without saying so again later.
          this.win.localStorage.setItem(OFFLINE_READY_KEY, String(Date.now()));
        }
      },
      (error: unknown) => {
        this.toasts.show({
          tone: 'error',
          message: `Offline mode is unavailable in this browser: ${error instanceof Error ? error.message : String(error)}`
        });
      }
    );

    const check = () =>
      void workbox.update().then(
        () => this.noticeWaiting(),
        () => {}
      );
    const timer = setInterval(check, UPDATE_CHECK_MS);
    this.win.addEventListener('online', check);
    this.win.addEventListener('keydown', this.onKey, true);
    this.win.addEventListener('pagehide', this.onPageHide);
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(UPDATE_CHANNEL);
      this.channel.onmessage = (event: MessageEvent<Message>) => this.onMessage(event.data);
    }
    return () => {
      this.stopped = true;
      clearInterval(timer);
      container.removeEventListener('controllerchange', onControllerChange);
      this.win.removeEventListener('online', check);
      this.win.removeEventListener('keydown', this.onKey, true);
      this.win.removeEventListener('pagehide', this.onPageHide);
      this.channel?.close();
      this.channel = null;
    };
  }

  private registration: ServiceWorkerRegistration | null = null;

  private noticeWaiting(): void {
    const registration = this.registration;
    if (!this.stopped && registration?.waiting && registration.active) this.ready = true;
  }

  /** The person chose to reload into the new version. */
  async reload(): Promise<void> {
    this.agreed = true;
    this.post({ type: 'agreed', from: this.id });
    await this.activateIfAllAgree();
  }

  /** Asks the server for a new version now. */
  async checkNow(): Promise<void> {
    await this.workbox?.update();
    this.noticeWaiting();
  }

  private async activateIfAllAgree(): Promise<void> {
    if (!this.agreed || this.stopped) return;
    const others = await this.rollCall();
    if (this.stopped) return;
    this.othersWaiting = others.filter((agreed) => !agreed).length;
    if (this.othersWaiting > 0) return;
    const registration = await this.win.navigator.serviceWorker.getRegistration('/');
    if (registration?.waiting) {
      // Activation, then 'controllerchange' reloads every tab that agreed.
      this.workbox?.messageSkipWaiting();
    } else {
      // Nothing waiting any more (it took over already): a reload shows the new version.
      this.reloadWhenQuiet();
    }
  }

  /** Which other tabs are open, and whether each agreed. */
  private rollCall(): Promise<boolean[]> {
    this.answers.clear();
    if (!this.channel) return Promise.resolve([]);
    this.post({ type: 'roll-call', from: this.id });
    return new Promise((resolve) =>
      setTimeout(() => resolve([...this.answers.values()]), ROLL_CALL_MS)
    );
  }

  private onMessage(message: Message): void {
    if (this.stopped || !message || message.from === this.id) return;
    switch (message.type) {
      case 'roll-call':
        this.post({ type: 'here', from: this.id, to: message.from, agreed: this.agreed });
        break;
      case 'here':
        if (message.to === this.id) this.answers.set(message.from, message.agreed);
        break;
      case 'agreed':
        this.otherAgreed = true;
        void this.activateIfAllAgree();
        break;
      case 'gone':
        void this.activateIfAllAgree();
        break;
    }
  }

  private post(message: Message): void {
    this.channel?.postMessage(message);
  }

  private readonly onKey = () => {
    this.lastKeyAt = Date.now();
  };

  private readonly onPageHide = () => {
    this.post({ type: 'gone', from: this.id });
  };

  /** Reloads, but never in the middle of typing: waits for a pause first. */
  private reloadWhenQuiet(): void {
    const wait = TYPING_QUIET_MS - (Date.now() - this.lastKeyAt);
    if (wait > 0) {
      setTimeout(() => this.reloadWhenQuiet(), wait);
      return;
    }
    this.win.location.reload();
  }

  private sayOfflineReady(): void {
    const storage = this.win.localStorage;
    if (storage.getItem(OFFLINE_READY_KEY)) return;
    storage.setItem(OFFLINE_READY_KEY, String(Date.now()));
    this.toasts.show({ message: OFFLINE_READY_MESSAGE });
  }
}
