export interface Toast {
  id: number;
  message: string;
  tone: 'info' | 'error';
  action?: { label: string; run: () => void };
}

/** Short messages at the bottom of the screen, e.g. "Deleted. Undo". */
export class Toasts {
  items = $state<Toast[]>([]);
  private nextId = 1;
  // Timers are bookkeeping, not state the UI reads.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private timers = new Map<number, ReturnType<typeof setTimeout>>();

  show(toast: Omit<Toast, 'id' | 'tone'> & { tone?: Toast['tone'] }, durationMs = 8000): number {
    const id = this.nextId++;
    this.items = [...this.items, { tone: 'info', ...toast, id }];
    this.timers.set(
      id,
      setTimeout(() => this.dismiss(id), durationMs)
    );
    return id;
  }

  dismiss(id: number): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.items = this.items.filter((t) => t.id !== id);
  }
}
