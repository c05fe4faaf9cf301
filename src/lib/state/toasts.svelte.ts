export interface Toast {
  id: number;
  message: string;
  tone: 'info' | 'error';
  action?: { label: string; run: () => void };
}

/**
 * Short messages at the bottom of the screen, e.g. "Deleted. Undo". A toast
 * stays while the pointer or keyboard focus is on it, so its action cannot
 * vanish under the hand reaching for it.
 */
export class Toasts {
  items = $state<Toast[]>([]);
  private nextId = 1;
  // Timers are bookkeeping, not state the UI reads.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private timers = new Map<number, { handle: ReturnType<typeof setTimeout> | null; ms: number }>();

  show(toast: Omit<Toast, 'id' | 'tone'> & { tone?: Toast['tone'] }, durationMs = 8000): number {
    const id = this.nextId++;
    this.items = [...this.items, { tone: 'info', ...toast, id }];
    this.timers.set(id, { handle: null, ms: durationMs });
    this.resume(id);
    return id;
  }

  pause(id: number): void {
    const timer = this.timers.get(id);
    if (timer?.handle) clearTimeout(timer.handle);
    if (timer) timer.handle = null;
  }

  resume(id: number): void {
    const timer = this.timers.get(id);
    if (!timer || timer.handle) return;
    timer.handle = setTimeout(() => this.dismiss(id), timer.ms);
  }

  dismiss(id: number): void {
    this.pause(id);
    this.timers.delete(id);
    this.items = this.items.filter((t) => t.id !== id);
  }
}
